//! The monitoring page's texts, in English and Japanese (R-UI-3). `{name}`
//! marks a value filled in by `crate::i18n::fill`.

crate::messages! { pub enum MonMsg {
    Title => "Monitoring", "監視";
    Answer => "{env}: {n} of {m} charts inside their limits over the last {range}.", "{env}: 直近 {range} で {m} 個中 {n} 個のグラフがしきい値内です。";
    NoData => "No metrics from this environment in this range yet: point the service's sender at POST /api/v1/metrics (see the README).", "この期間にこの環境のメトリクスはまだありません。サービスの送信元を POST /api/v1/metrics に向けてください（README 参照）。";
    Environment => "Environment", "環境";
    Range => "Range", "期間";
    Show => "Show", "表示";
    FromRollups => "Read from hourly rollups.", "1 時間ごとの集計から表示しています。";
    FromMinutes => "Read from per-minute data.", "1 分ごとのデータから表示しています。";
    Sources => "Sources", "送信元";
    Latest => "latest {value} · limit {limit}", "最新 {value} · しきい値 {limit}";
    LatestNoLimit => "latest {value}", "最新 {value}";
    OverLimit => "over the limit", "しきい値超過";
    WithinLimit => "within the limit", "しきい値内";
    NoValue => "no data", "データなし";
    // Chart titles and labels (drawn into the SVG).
    ChartCpu => "CPU usage", "CPU 使用率";
    ChartMemory => "Memory usage", "メモリ使用率";
    ChartDisk => "Disk usage", "ディスク使用率";
    ChartLatency => "Network latency", "ネットワーク遅延";
    ChartConnections => "Concurrent connections", "同時接続数";
    ChartRequests => "Requests per minute by class", "クラス別リクエスト数（毎分）";
    ChartErrorRate => "Error rate by class (5xx and timeouts)", "クラス別エラー率（5xx とタイムアウト）";
    ChartP95 => "Response time p95 by class (API judged)", "クラス別応答時間 p95（判定は API）";
    LimitLabel => "limit {value}", "しきい値 {value}";
    MaxLabel => "{source} max", "{source} 最大";
    AxisTime => "time ({zone})", "時刻（{zone}）";
    // Prober settings (R-MON-1).
    TargetsTitle => "Health probes", "ヘルスチェック";
    TargetsHint => "opsdeck GETs each URL on its interval; non-2xx, a timeout or an unhealthy body is down. A minute is down when at least half of its probes failed.", "opsdeck は各 URL を間隔ごとに GET します。2xx 以外・タイムアウト・異常を示す本文はダウンです。1 分間のプローブの半数以上が失敗した分をダウンとします。";
    ColTarget => "Target", "対象";
    ColUrl => "URL", "URL";
    ColInterval => "Interval (ms)", "間隔 (ms)";
    ColTimeout => "Timeout (ms)", "タイムアウト (ms)";
    ColEnabled => "On", "有効";
    ColLast => "Last probe", "最新のプローブ";
    ColDay => "Last 24 h", "直近 24 時間";
    Public => "public URL", "公開 URL";
    Up => "up", "正常";
    Down => "down", "ダウン";
    Never => "not probed yet", "未実施";
    Off => "off", "無効";
    DayAvailability => "{pct} available · {down} min down", "稼働率 {pct} · ダウン {down} 分";
    DayNoData => "no data", "データなし";
    DemoManaged => "Demo target: the server sets its URL at every start (the demo service's port changes) and points the public URL at the live colour. Enter another URL to take it over.", "デモの対象: URL はサーバーが起動ごとに設定します（デモサービスのポートが変わるため）。公開 URL は稼働中の色を指します。別の URL を入力すると手動管理に切り替わります。";
    Save => "Save", "保存";
    Saved => "Saved.", "保存しました。";
    OperatorsEdit => "Operators change probe targets and retention; you can read them here.", "プローブ対象と保持期間はオペレーターが変更します。ここでは閲覧できます。";
    RetentionTitle => "Retention", "保持期間";
    RetentionHint => "Raw probes and samples are kept this many days; per-minute and per-hour rollups (what the SLA and these charts read) this many months. Older rows are deleted every hour.", "生のプローブとサンプルはこの日数、分・時間ごとの集計（SLA とこのグラフが読むもの）はこの月数保持します。古い行は 1 時間ごとに削除されます。";
    RawDays => "Raw rows (days)", "生データ（日）";
    RollupMonths => "Rollups (months)", "集計データ（月）";
    ThresholdsTitle => "Thresholds (R-MON-2)", "しきい値 (R-MON-2)";
}}

#[cfg(test)]
mod tests {
    use super::MonMsg;
    use crate::i18n::Lang;

    #[test]
    fn every_monitoring_text_has_both_languages_r_ui_3() {
        for m in MonMsg::ALL {
            assert!(!m.text(Lang::En).is_empty(), "{m:?} en");
            assert!(!m.text(Lang::Ja).is_empty(), "{m:?} ja");
            // The same placeholders in both, so `fill` fills both.
            let marks = |s: &str| {
                let mut v: Vec<String> = s
                    .split('{')
                    .skip(1)
                    .filter_map(|p| p.split_once('}').map(|(k, _)| k.to_string()))
                    .collect();
                v.sort();
                v
            };
            assert_eq!(marks(m.text(Lang::En)), marks(m.text(Lang::Ja)), "{m:?}");
        }
    }
}
