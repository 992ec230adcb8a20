//! Retention rules that select backups by the calendar (`days_of_week`, `weeks_of_month`, `months_of_year`,
//! `scheduled_backup_times`) on every policy kind whose Azure rules allow them, and weekly AKS schedules: created
//! with the real terraform CLI, read back to an empty plan, and refused at plan time naming the attribute.

use crate::support;

use dataprotection_emulator::default_world as world;
use reqwest::Method;
use support::terraform::Workspace;

/// One policy of each kind that takes calendar criteria, each with a calendar rule and an absolute one. Sets are
/// written out of Azure's order on purpose.
fn policies() -> String {
    let vault = world::vault_id();
    format!(
        r#"
resource "dataprotection_backup_policy_kubernetes_cluster" "aks" {{
  name                            = "aks-weekly"
  vault_id                        = "{vault}"
  backup_repeating_time_intervals = ["R/2024-01-07T02:30:00+00:00/P1W"]
  default_retention_duration      = "P7D"
  time_zone                       = "India Standard Time"

  retention_rule {{
    name                   = "Monthly"
    duration               = "P84D"
    priority               = 20
    days_of_week           = ["Sunday"]
    weeks_of_month         = ["Last", "First"]
    months_of_year         = ["November", "May"]
    scheduled_backup_times = ["2024-01-07T02:30:00Z"]
  }}

  retention_rule {{
    name              = "Daily"
    duration          = "P14D"
    priority          = 25
    absolute_criteria = "FirstOfDay"
  }}
}}

resource "dataprotection_backup_policy_postgresql_flexible_server" "pg" {{
  name                            = "pg-weekly"
  vault_id                        = "{vault}"
  backup_repeating_time_intervals = ["R/2024-01-07T02:30:00+00:00/P1W"]
  default_retention_duration      = "P3M"

  retention_rule {{
    name                   = "FirstAndLastTuesday"
    duration               = "P6M"
    priority               = 20
    days_of_week           = ["Tuesday"]
    weeks_of_month         = ["First", "Last"]
    scheduled_backup_times = ["2024-01-07T02:30:00+00:00"]
  }}
}}

resource "dataprotection_backup_policy_mysql_flexible_server" "mysql" {{
  name                            = "mysql-weekly"
  vault_id                        = "{vault}"
  backup_repeating_time_intervals = ["R/2024-01-07T02:30:00+00:00/P1W"]
  default_retention_duration      = "P3M"

  retention_rule {{
    name         = "Thursdays"
    duration     = "P1Y"
    priority     = 20
    days_of_week = ["Thursday"]
  }}
}}

resource "dataprotection_backup_policy_blob_storage" "blob" {{
  name                                   = "blob-calendar"
  vault_id                               = "{vault}"
  operational_default_retention_duration = "P30D"
  backup_repeating_time_intervals        = ["R/2024-01-01T02:00:00+00:00/P1D"]
  vault_default_retention_duration       = "P30D"

  retention_rule {{
    name           = "Yearly"
    duration       = "P5Y"
    priority       = 10
    days_of_week   = ["Saturday", "Sunday"]
    months_of_year = ["January"]
    weeks_of_month = ["First"]
  }}

  retention_rule {{
    name           = "MidAndMonthEnd"
    duration       = "P12M"
    priority       = 15
    days_of_month  = [15, 0]
    months_of_year = ["June", "December"]
  }}
}}

resource "dataprotection_backup_policy_data_lake_storage" "lake" {{
  name                            = "adls-calendar"
  vault_id                        = "{vault}"
  backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/P1D"]
  default_retention_duration      = "P30D"

  retention_rule {{
    name         = "Weekends"
    duration     = "P12W"
    priority     = 20
    days_of_week = ["Sunday", "Saturday"]
  }}
}}
"#
    )
}

/// Policies that Azure refuses, one mistake each, for one plan.
fn refused() -> String {
    let vault = world::vault_id();
    format!(
        r#"
resource "dataprotection_backup_policy_kubernetes_cluster" "both" {{
  name                            = "aks-both"
  vault_id                        = "{vault}"
  backup_repeating_time_intervals = ["R/2024-01-07T02:30:00+00:00/P1W"]
  default_retention_duration      = "P7D"

  retention_rule {{
    name              = "Mixed"
    duration          = "P14D"
    priority          = 20
    absolute_criteria = "FirstOfWeek"
    days_of_week      = ["Monday"]
  }}

  retention_rule {{
    name              = "Yearly"
    duration          = "P1Y"
    priority          = 10
    absolute_criteria = "FirstOfWeek"
  }}
}}

resource "dataprotection_backup_policy_postgresql_flexible_server" "weeks_alone" {{
  name                            = "pg-weeks-alone"
  vault_id                        = "{vault}"
  backup_repeating_time_intervals = ["R/2024-01-07T02:30:00+00:00/P1W"]
  default_retention_duration      = "P3M"

  retention_rule {{
    name           = "FirstWeek"
    duration       = "P6M"
    priority       = 20
    weeks_of_month = ["First"]
  }}
}}

resource "dataprotection_backup_policy_blob_storage" "spelling" {{
  name                             = "blob-spelling"
  vault_id                         = "{vault}"
  backup_repeating_time_intervals  = ["R/2024-01-01T02:00:00+00:00/P1D"]
  vault_default_retention_duration = "P30D"

  retention_rule {{
    name                   = "Mondays"
    duration               = "P12W"
    priority               = 20
    days_of_week           = ["monday"]
    scheduled_backup_times = ["02:00"]
  }}

  retention_rule {{
    name          = "TwentyNinth"
    duration      = "P12W"
    priority      = 25
    days_of_month = [29]
  }}
}}

resource "dataprotection_backup_policy_mysql_flexible_server" "nothing" {{
  name                            = "mysql-nothing"
  vault_id                        = "{vault}"
  backup_repeating_time_intervals = ["R/2024-01-07T02:30:00+00:00/P1W"]
  default_retention_duration      = "P3M"

  retention_rule {{
    name     = "Unselective"
    duration = "P6M"
    priority = 20
  }}
}}

resource "dataprotection_backup_policy_disk" "disk" {{
  name                            = "disk-calendar"
  vault_id                        = "{vault}"
  backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/P1D"]
  default_retention_duration      = "P7D"

  retention_rule {{
    name              = "Mondays"
    duration          = "P14D"
    priority          = 20
    absolute_criteria = "FirstOfDay"
    days_of_week      = ["Monday"]
  }}
}}
"#
    )
}

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_retention_rules_apply_read_back_and_are_refused_offline() {
    let ws = Workspace::start().await;
    ws.write(&policies());
    let run = ws.apply().await;
    assert!(run.stdout.contains("5 added, 0 changed, 0 destroyed"), "{}", run.stdout);
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "the plan after apply is empty:\n{}", run.output());

    // A state written before these attributes existed (they are missing, not null) plans clean too: the upgrade
    // reads them as null.
    let path = ws.work_dir().join("terraform.tfstate");
    let mut state = ws.state();
    let mut stripped = 0;
    for resource in state["resources"].as_array_mut().unwrap() {
        for instance in resource["instances"].as_array_mut().unwrap() {
            for rule in instance["attributes"]["retention_rule"].as_array_mut().unwrap() {
                let rule = rule.as_object_mut().unwrap();
                for name in
                    ["days_of_week", "weeks_of_month", "months_of_year", "scheduled_backup_times", "days_of_month"]
                {
                    if rule.get(name).is_some_and(serde_json::Value::is_null) {
                        rule.remove(name);
                        stripped += 1;
                    }
                }
            }
        }
    }
    assert!(stripped >= 4, "the absolute rules' calendar attributes are null in state: {state}");
    std::fs::write(&path, serde_json::to_vec_pretty(&state).unwrap()).expect("terraform.tfstate");
    let (code, run) = ws.plan_code().await;
    assert_eq!(code, 0, "an older state plans clean:\n{}", run.output());

    // What Azure was sent: the AKS schedule is weekly, and the calendar rule is a tag's ScheduleBasedBackupCriteria.
    let (status, aks) = ws.arm(Method::GET, &format!("{}/backupPolicies/aks-weekly", world::vault_id()), None).await;
    assert_eq!(status, 200, "{aks}");
    let backup = &aks["properties"]["policyRules"][0];
    assert_eq!(backup["trigger"]["schedule"]["repeatingTimeIntervals"][0], "R/2024-01-07T02:30:00+00:00/P1W");
    let monthly = backup["trigger"]["taggingCriteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tagInfo"]["tagName"] == "Monthly")
        .unwrap_or_else(|| panic!("a Monthly tag in {aks}"));
    let criteria = &monthly["criteria"][0];
    assert_eq!(criteria["daysOfTheWeek"], serde_json::json!(["Sunday"]), "{criteria}");
    let mut weeks: Vec<&str> =
        criteria["weeksOfTheMonth"].as_array().unwrap().iter().filter_map(|w| w.as_str()).collect();
    weeks.sort_unstable();
    assert_eq!(weeks, ["First", "Last"]);
    assert_eq!(criteria["scheduleTimes"], serde_json::json!(["2024-01-07T02:30:00Z"]));
    assert!(criteria.get("absoluteCriteria").is_none(), "{criteria}");
    let (_, blob) = ws.arm(Method::GET, &format!("{}/backupPolicies/blob-calendar", world::vault_id()), None).await;
    let tags = blob["properties"]["policyRules"][0]["trigger"]["taggingCriteria"].as_array().unwrap();
    let month_ends = tags.iter().find(|t| t["tagInfo"]["tagName"] == "MidAndMonthEnd").unwrap();
    let mut days: Vec<(i64, bool)> = month_ends["criteria"][0]["daysOfMonth"]
        .as_array()
        .unwrap_or_else(|| panic!("daysOfMonth in {month_ends}"))
        .iter()
        .map(|d| (d["date"].as_i64().unwrap(), d["isLast"].as_bool().unwrap()))
        .collect();
    days.sort_unstable();
    assert_eq!(days, [(0, true), (15, false)]);

    // Each mistake is refused at plan, before anything reaches Azure, naming its attribute.
    std::fs::write(ws.work_dir().join("refused.tf"), refused()).expect("refused.tf");
    ws.emulator.state().clear_journal();
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flat(&run.output());
    assert!(!out.contains("panicked") && !out.contains("stack backtrace"), "{out}");
    for expected in [
        // The AKS rule that mixes absolute criteria and the calendar.
        "Error: Conflicting retention criteria with dataprotection_backup_policy_kubernetes_cluster.both",
        "A retention rule selects backups by absolute_criteria or by the calendar",
        // AKS backups are kept at most 360 days.
        "\"P1Y\" is longer than the 360 days Azure keeps backups of Kubernetes clusters",
        // weeks_of_month alone.
        "Error: Missing days of the week with dataprotection_backup_policy_postgresql_flexible_server.weeks_alone",
        "weeks_of_month narrows days_of_week: set days_of_week",
        // Azure's spelling, and RFC 3339 times.
        "Error: Invalid retention criteria with dataprotection_backup_policy_blob_storage.spelling",
        "\"monday\" is not one of Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday",
        "Error: Invalid backup time with dataprotection_backup_policy_blob_storage.spelling",
        "\"02:00\" is not a date and time",
        "29 is not a day of the month Azure takes: 1 to 28, or 0 for the last day",
        // Neither absolute criteria nor days of the week.
        "Error: Missing retention criteria with dataprotection_backup_policy_mysql_flexible_server.nothing",
        // Disk policies have no calendar criteria at all.
        "An argument named \"days_of_week\" is not expected here",
    ] {
        assert!(out.contains(expected), "{expected:?} in:\n{out}");
    }
    // Terraform quotes the attribute's line for a diagnostic that names it.
    for line in [": days_of_week = [\"Monday\"]", ": weeks_of_month = [\"First\"]", ": days_of_week = [\"monday\"]"] {
        assert!(out.contains(line), "{line:?} in:\n{out}");
    }
    let puts = ws.journal().iter().filter(|e| e.method == "PUT").count();
    assert_eq!(puts, 0, "nothing is sent to Azure");
}
