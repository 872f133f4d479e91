//! Every UI string in Japanese and English, in one place (R-UI-3).
//!
//! A string is a `Msg` variant; `Msg::text(lang)` gives its words. Adding a
//! string means adding one line to the table below, with both languages: the
//! macro makes a missing translation a compile error.

use serde::{Deserialize, Serialize};

/// The UI language, chosen by the switch in the top bar and kept in a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Ja,
}

impl Lang {
    /// Name of the cookie that keeps the choice.
    pub const COOKIE: &'static str = "opsdeck_lang";

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    /// Parses a cookie or query value; anything unknown is `None`.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim() {
            "en" => Some(Lang::En),
            "ja" => Some(Lang::Ja),
            _ => None,
        }
    }

    /// A request's language from its `Cookie` and `Accept-Language`
    /// headers: the cookie's choice, else the browser's (first visit), else
    /// the default. The page renderer and the server's page cache both ask
    /// this, so a cached page is never served in another language.
    #[cfg(feature = "ssr")]
    pub fn of_request(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
        cookie
            .and_then(Lang::from_cookie_header)
            .or_else(|| accept_language.map(Lang::from_accept_language))
            .unwrap_or_default()
    }

    /// The first of our languages in an `Accept-Language` value, by quality
    /// (`ja-JP,ja;q=0.9,en;q=0.8` → Japanese); neither named → the default.
    #[cfg(feature = "ssr")]
    pub fn from_accept_language(header: &str) -> Lang {
        accept_language::parse_with_quality(header)
            .into_iter()
            .filter(|(_, quality)| *quality > 0.0)
            .find_map(|(tag, _)| {
                let primary = tag
                    .split('-')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                Lang::from_code(&primary)
            })
            .unwrap_or_default()
    }

    /// Finds the language in a `Cookie:` header value.
    pub fn from_cookie_header(header: &str) -> Option<Lang> {
        header
            .split(';')
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == Lang::COOKIE)
            .and_then(|(_, v)| Lang::from_code(v))
    }
}

/// `template` with each `{name}` replaced by its value (message tables
/// mark the values they take this way).
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(template.to_string(), |acc, (k, v)| {
        acc.replace(&format!("{{{k}}}"), v)
    })
}

/// Declares a message table: an enum whose every variant has English and
/// Japanese words. The shared table is `Msg` (below); an area keeps its page
/// texts in its own table beside its pages (`messages!(pub enum NotifyMsg { … })`).
#[macro_export]
macro_rules! messages {
    ($vis:vis enum $table:ident { $($name:ident => $en:literal, $ja:literal;)* }) => {
        /// A translatable UI string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        $vis enum $table { $($name,)* }

        impl $table {
            /// Every message, for the completeness test.
            pub const ALL: &'static [$table] = &[$($table::$name,)*];

            /// The words of this message in `lang`.
            pub fn text(self, lang: $crate::i18n::Lang) -> &'static str {
                match (self, lang) {
                    $(($table::$name, $crate::i18n::Lang::En) => $en, ($table::$name, $crate::i18n::Lang::Ja) => $ja,)*
                }
            }
        }
    };
}

messages! { pub enum Msg {
    AppName => "opsdeck", "opsdeck";
    ServiceName => "Mythologia", "Mythologia";
    NavOverview => "Overview", "概要";
    NavDeploys => "Deploys", "デプロイ";
    NavReleases => "Releases", "リリース";
    NavMonitoring => "Monitoring", "監視";
    NavSla => "SLA", "SLA";
    NavAlerts => "Alerts", "アラート";
    NavBackups => "Backups", "バックアップ";
    NavIncidents => "Incidents", "インシデント";
    NavMaintenance => "Maintenance", "メンテナンス";
    NavCosts => "Costs", "コスト";
    NavAudit => "Audit log", "監査ログ";
    NavAdmin => "Admin", "管理";
    NavAccount => "Account", "アカウント";
    Menu => "Menu", "メニュー";
    Logout => "Log out", "ログアウト";
    Login => "Log in", "ログイン";
    LoginTitle => "Log in to opsdeck", "opsdeck にログイン";
    Username => "User name", "ユーザー名";
    Password => "Password", "パスワード";
    DisplayName => "Display name", "表示名";
    Roles => "Roles", "ロール";
    Loading => "Loading…", "読み込み中…";
    Save => "Save", "保存";
    Cancel => "Cancel", "キャンセル";
    Previous => "Previous", "前へ";
    Next => "Next", "次へ";
    PageOf => "Page", "ページ";
    Filter => "Filter", "絞り込み";
    Clear => "Clear", "クリア";
    Yes => "Yes", "はい";
    No => "No", "いいえ";
    Never => "never", "なし";
    Status => "Status", "状態";
    Actions => "Actions", "操作";
    ErrRequired => "This field is required.", "この項目は必須です。";
    ErrTooShort => "Too short.", "短すぎます。";
    ErrTooLong => "Too long.", "長すぎます。";
    ErrPasswordTooShort => "Use at least 12 characters.", "12 文字以上にしてください。";
    ErrPasswordMismatch => "The passwords do not match.", "パスワードが一致しません。";
    ErrCurrentPasswordWrong => "The current password is wrong.", "現在のパスワードが違います。";
    ErrUsernameFormat => "Use 3–32 lower-case letters, digits, '.', '-' or '_'.", "3〜32 文字の英小文字・数字・「.」「-」「_」で入力してください。";
    ErrUsernameTaken => "This user name is already taken.", "このユーザー名は既に使われています。";
    ErrRoleUnknown => "Unknown role.", "不明なロールです。";
    ErrNoRole => "Choose at least one role.", "ロールを 1 つ以上選んでください。";
    ErrDateTime => "Enter a date and time like 2026-12-06T04:00.", "2026-12-06T04:00 の形式で日時を入力してください。";
    ErrInPast => "This time is in the past.", "過去の日時です。";
    ErrScopeUnknown => "Unknown scope.", "不明なスコープです。";
    ErrNoScope => "Choose at least one scope.", "スコープを 1 つ以上選んでください。";
    ErrLastAdmin => "opsdeck needs at least one enabled admin.", "有効な管理者が少なくとも 1 人必要です。";
    ErrCannotDisableSelf => "You cannot disable your own account.", "自分のアカウントは無効にできません。";
    ErrInvalidCredentials => "Invalid user name or password.", "ユーザー名またはパスワードが正しくありません。";
    ErrRateLimited => "Too many attempts. Try again in", "試行回数が多すぎます。再試行まで";
    Seconds => "s", "秒";
    ErrForbidden => "You do not have permission to do this.", "この操作を行う権限がありません。";
    ErrSessionExpired => "Your session has ended. Please log in again.", "セッションが終了しました。もう一度ログインしてください。";
    ErrNotFound => "Not found.", "見つかりません。";
    ErrInternal => "Something went wrong on the server. It has been logged.", "サーバーでエラーが発生しました。ログに記録されました。";
    ErrNetwork => "The server could not be reached. Try again.", "サーバーに接続できませんでした。再試行してください。";
    ErrExpiryFormat => "Choose never, a number of days or a date like 2027-03-01.", "「無期限」、日数、または 2027-03-01 の形式の日付を選んでください。";
    ErrExpiryInPast => "The expiry must be in the future.", "有効期限は未来の日時にしてください。";
    ErrExpiryTooFar => "Choose an expiry within 10 years.", "有効期限は 10 年以内にしてください。";
    NotFoundTitle => "Page not found", "ページが見つかりません";
    NotFoundBody => "There is no page at this address.", "このアドレスのページはありません。";
    BackToOverview => "Back to the overview", "概要に戻る";
    MaintenanceBanner => "Maintenance mode is on", "メンテナンスモード中";
    EstimatedEnd => "Estimated end", "終了予定";
    OverviewTitle => "Overview", "概要";
    OverviewAnswerOk => "All environments are healthy", "すべての環境は正常です";
    OverviewAnswerWarn => "Some environments need attention", "注意が必要な環境があります";
    OverviewAnswerUnknown => "No health data yet", "ヘルスデータはまだありません";
    SlaMonthToDate => "SLA this month", "今月の SLA";
    BudgetLeft => "Error budget left", "残りエラーバジェット";
    OverBudget => "over by", "超過";
    FiringAlerts => "Firing alerts", "発生中のアラート";
    NoFiringAlerts => "none", "なし";
    SlaTargetMet => "SLA target met", "SLA 目標を達成";
    SlaTargetMissed => "SLA target missed", "SLA 目標を未達";
    Environments => "Environments", "環境";
    Environment => "Environment", "環境";
    Version => "Version", "バージョン";
    Commit => "Commit", "コミット";
    LiveColour => "Live colour", "稼働中のカラー";
    Health => "Health", "ヘルス";
    LastDeploy => "Last deploy", "最終デプロイ";
    ApprovedBy => "Approved by", "承認者";
    NoEnvironments => "No environments yet. Run the demo step or add environments.", "環境はまだありません。デモデータを読み込むか環境を追加してください。";
    HealthOk => "healthy", "正常";
    HealthWarning => "warning", "警告";
    HealthCritical => "critical", "重大";
    HealthUnknown => "unknown", "不明";
    ComingReleases => "A release calendar with freeze milestones, version proposals and release notes with live preview (R-REL-1..5).", "フリーズのマイルストーン付きリリースカレンダー、バージョン提案、プレビュー付きリリースノート (R-REL-1..5)。";
    MaintenanceTitle => "Maintenance", "メンテナンス";
    MaintenanceOnAnswer => "Maintenance mode is ON: the public API answers 503.", "メンテナンスモード中: 公開 API は 503 を返します。";
    MaintenanceOffAnswer => "Maintenance mode is off: the service is open.", "メンテナンスモードはオフです: サービスは公開中です。";
    MaintenanceMessage => "Message shown to users", "利用者に表示するメッセージ";
    MaintenanceDefaultMessage => "システムメンテナンス中です", "システムメンテナンス中です";
    MaintenanceEnd => "Estimated end (local time)", "終了予定（現地時刻）";
    MaintenanceSwitchOn => "Switch maintenance mode on", "メンテナンスモードをオンにする";
    MaintenanceSwitchOff => "Switch maintenance mode off", "メンテナンスモードをオフにする";
    MaintenanceConfirmOn => "Switch maintenance mode on? Every public API call will answer 503 until you switch it off.", "メンテナンスモードをオンにしますか？オフにするまで公開 API はすべて 503 を返します。";
    MaintenanceConfirmOff => "Switch maintenance mode off and reopen the public API?", "メンテナンスモードをオフにして公開 API を再開しますか？";
    MaintenanceSince => "On since", "開始";
    MaintenanceBy => "by", "実行者";
    OperatorOnly => "Only operators can change this.", "変更できるのはオペレーターのみです。";
    AuditTitle => "Audit log", "監査ログ";
    AuditAnswer => "Every change, who made it and when. Nothing here can be edited.", "すべての変更と、その実行者・日時。ここでは編集できません。";
    AuditWhen => "When", "日時";
    AuditWho => "Who", "実行者";
    AuditAction => "Action", "操作";
    AuditTarget => "Target", "対象";
    AuditBefore => "Before", "変更前";
    AuditAfter => "After", "変更後";
    AuditEmpty => "No entries match. Changes appear here as soon as someone makes one.", "該当する記録はありません。変更が行われるとここに表示されます。";
    AuditFilterActor => "User", "ユーザー";
    AuditFilterAction => "Action contains", "操作（部分一致）";
    AdminTitle => "Admin", "管理";
    AdminAnswer => "Users, roles and API tokens.", "ユーザー、ロール、API トークン。";
    Users => "Users", "ユーザー";
    CreateUser => "Create user", "ユーザーを作成";
    InitialPassword => "Initial password", "初期パスワード";
    Enabled => "Enabled", "有効";
    Disabled => "Disabled", "無効";
    Disable => "Disable", "無効にする";
    Enable => "Enable", "有効にする";
    ConfirmDisable => "Disable this user? They are logged out at once:", "このユーザーを無効にしますか？直ちにログアウトされます:";
    ResetPassword => "Reset password", "パスワードをリセット";
    NewPassword => "New password", "新しいパスワード";
    SaveRoles => "Save roles", "ロールを保存";
    UserCreated => "User created.", "ユーザーを作成しました。";
    Saved => "Saved.", "保存しました。";
    ApiTokens => "API tokens", "API トークン";
    TokenName => "Token name", "トークン名";
    Scopes => "Scopes", "スコープ";
    CreateToken => "Create token", "トークンを作成";
    TokenShownOnce => "Copy this token now. It is shown only once:", "このトークンを今コピーしてください。表示は一度だけです:";
    LastUsed => "Last used", "最終使用";
    Created => "Created", "作成";
    Revoke => "Revoke", "失効";
    Revoked => "Revoked", "失効済み";
    ConfirmRevoke => "Revoke this token? Machines using it stop working at once:", "このトークンを失効しますか？使用中のマシンは直ちに動かなくなります:";
    NoTokens => "No tokens yet. Create one for each machine that reports to opsdeck.", "トークンはまだありません。opsdeck に報告するマシンごとに作成してください。";
    TokenExpiry => "Expiry", "有効期限";
    ExpiryNever => "Never expires", "無期限";
    ExpiryOnDate => "On a date…", "日付を指定…";
    ExpiryDate => "Expiry date", "有効期限日";
    ExpiresOn => "expires", "期限";
    Expired => "expired", "期限切れ";
    UserTokensTitle => "API tokens created by {user} that still work", "{user} が作成した、まだ有効な API トークン";
    UserTokensHint => "Disabling a user does not stop the tokens they created. Revoke the ones that should stop working.", "ユーザーを無効にしても、そのユーザーが作成したトークンは使えるままです。止めるべきトークンを失効してください。";
    NoActiveTokensOf => "{user} created no tokens that still work.", "{user} が作成した有効なトークンはありません。";
    RevokeAllTokensOf => "Revoke all {n} tokens of {user}", "{user} のトークン {n} 件をすべて失効";
    ConfirmRevokeAllOf => "Revoke all {n} tokens of {user}? Machines using them stop working at once.", "{user} のトークン {n} 件をすべて失効しますか？使用中のマシンは直ちに動かなくなります。";
    TokensRevokedCount => "Tokens revoked: {n}.", "{n} 件のトークンを失効しました。";
    Close => "Close", "閉じる";
    RevokeOneTokenOf => "Revoke the 1 token of {user}", "{user} のトークン 1 件を失効";
    ConfirmRevokeOneOf => "Revoke the 1 token of {user}? Machines using it stop working at once.", "{user} のトークン 1 件を失効しますか？使用中のマシンは直ちに動かなくなります。";
    AccountTitle => "Your account", "アカウント";
    ChangePassword => "Change password", "パスワードを変更";
    CurrentPassword => "Current password", "現在のパスワード";
    RepeatPassword => "Repeat the new password", "新しいパスワード（確認）";
    PasswordChanged => "Password changed.", "パスワードを変更しました。";
    SignedInAs => "Signed in as", "ログイン中";
    Language => "Language", "言語";
    NextMaintenance => "Next maintenance window", "次回メンテナンス枠";
    AnnounceFrom => "Announce by", "告知期限";
    SlaTarget => "SLA target", "SLA 目標";
    AllowedDowntime => "Allowed downtime this month", "今月の許容ダウンタイム";
    Minutes => "min", "分";
    InPrefix => "in", "あと";
    Days => "days", "日";
    Hours => "h", "時間";
    InboxUnread => "Unread messages", "未読メッセージ";
    ErrUrl => "Enter an http:// or https:// URL.", "http:// または https:// の URL を入力してください。";
    ErrUrlSelf => "This URL points at opsdeck itself.", "この URL は opsdeck 自身を指しています。";
    ErrEmail => "Enter e-mail addresses like oncall@example.com.", "oncall@example.com の形式でメールアドレスを入力してください。";
    ErrPort => "Enter a port from 1 to 65535.", "1〜65535 のポート番号を入力してください。";
    ErrTriggerRules => "Write one rule a line: “push <branch> <environment>” or “release <environment>”.", "1 行に 1 つ、「push <ブランチ> <環境>」または「release <環境>」と書いてください。";
    ErrTriggerSecret => "The secret must be 1 to 256 characters.", "シークレットは 1〜256 文字にしてください。";
    ErrChoice => "Choose one of the offered values.", "選択肢から選んでください。";
    ErrNameTaken => "This name is already taken.", "この名前は既に使われています。";
    ErrReservedGroup => "opsdeck's areas address this group by name: it can be edited but not renamed or deleted.", "このグループは各機能が名前で参照しているため、編集はできますが名前の変更や削除はできません。";
    ErrUnknownMember => "A chosen user or channel no longer exists.", "選択したユーザーまたはチャンネルが存在しません。";
    Announced => "Announced to stakeholders", "関係者へ告知済み";
    ErrOverrideAdminOnly => "Only an admin can override the monthly cap.", "月間上限の超過を承認できるのは管理者だけです。";
    ErrMaintenanceNotice => "Planned maintenance needs at least 7 days' notice (R-MNT-2): choose a later start.", "計画メンテナンスは 7 日以上前に告知する必要があります（R-MNT-2）。より後の開始日時を選んでください。";
    ErrMaintenanceOverCap => "This would exceed the monthly cap of planned maintenance (2 h per month, R-MNT-2): shorten it, move it to another month, or ask an admin to override with a reason.", "月間の計画メンテナンス上限（月 2 時間、R-MNT-2）を超えます。短くするか別の月に移すか、管理者に理由付きで承認してもらってください。";
    WarnMaintenanceOutsideNight => "Saved, but it is not inside the night hours", "保存しましたが、夜間の時間帯に収まっていません";
    ErrWindowNotStarted => "Tasks are ticked off during the window; it has not started yet.", "作業はメンテナンス中にチェックします。まだ開始していません。";
    ErrTime => "Enter a time like 02:00.", "02:00 の形式で時刻を入力してください。";
    ErrNumberRange => "Enter a number in the allowed range.", "許可された範囲の数値を入力してください。";
    ErrDate => "Enter a date like 2026-11-30.", "2026-11-30 の形式で日付を入力してください。";
    ErrMonth => "Choose a month like 2026-11.", "2026-11 の形式で月を選んでください。";
    ErrService => "Enter a service name of 1–100 characters.", "サービス名を 1〜100 文字で入力してください。";
    ErrAmount => "Enter an amount like 12.34 (at most two decimals).", "12.34 の形式で金額を入力してください（小数は 2 桁まで）。";
    ErrCurrency => "Enter a three-letter currency code like USD.", "USD のような 3 文字の通貨コードを入力してください。";
    ErrCurrencyInUse => "Entries in another currency exist: the budget's currency cannot change.", "別の通貨のコスト明細があるため、予算の通貨は変更できません。";
    ErrUnknownGroup => "Unknown recipient group.", "不明な宛先グループです。";
    ErrNegativeNotCredit => "A negative amount must be marked as a credit (kind = credit).", "マイナスの金額はクレジット（kind = credit）として指定してください。";
    ErrCreditPositive => "A credit must have a negative amount.", "クレジットの金額はマイナスにしてください。";
    ErrCreditAlwaysOneOff => "A credit is always one-off.", "クレジットは常に一時的な費用として扱われます。";
    ErrCsvHeader => "The first line must be the header date,service,amount (optionally currency and kind).", "1 行目は date,service,amount（任意で currency と kind）のヘッダーにしてください。";
    ErrCsvColumns => "Wrong number of columns for the header.", "列の数がヘッダーと一致しません。";
    ErrCsvOtherCurrency => "The currency differs from the budget's.", "通貨が予算の通貨と異なります。";
    ErrCsvKind => "kind must be empty, usage, one-off or credit.", "kind は空、usage、one-off、credit のいずれかにしてください。";
    ErrCsvEmpty => "The file has no cost rows.", "ファイルにコストの行がありません。";
    ErrCsvTooLarge => "The file is over 512 KB: split it into smaller files.", "ファイルが 512 KB を超えています。分割してください。";
    ErrCsvUnreadable => "This line cannot be read as CSV.", "この行は CSV として読み取れません。";
    ErrCsvMoreErrors => "More lines have errors: fix these and import again.", "他にもエラーのある行があります。これらを修正して再度インポートしてください。";
    CodeFreeze => "Code freeze", "コードフリーズ";
    ErrVersion => "Enter a version of the form MAJOR.MINOR.PATCH, like 1.3.0.", "1.3.0 のような MAJOR.MINOR.PATCH 形式でバージョンを入力してください。";
    ErrVersionNotGreater => "The version must be greater than the last released version.", "バージョンは最後にリリースしたバージョンより大きくしてください。";
    ErrVersionTaken => "A release with this version already exists.", "このバージョンのリリースは既にあります。";
    ErrDateInPast => "The release date is in the past.", "リリース日が過去の日付です。";
    ErrReleaseNotPlanned => "This release is no longer planned: it was published or cancelled.", "このリリースは公開済みまたは中止済みのため変更できません。";
    ErrReleasePublishedReadOnly => "A published release is read-only except its known issues.", "公開済みのリリースは「既知の問題」以外は変更できません。";
    ErrNotesTooLarge => "The release notes are over 200 KB.", "リリースノートが 200 KB を超えています。";
    ErrNotesItem => "Each line is one item: no empty items.", "1 行が 1 項目です。空の項目は入れられません。";
    ErrIssueUrlTemplate => "Enter an http(s) URL containing {n}, like https://github.com/org/repo/issues/{n}.", "{n} を含む http(s) の URL を入力してください（例: https://github.com/org/repo/issues/{n}）。";
    ErrBackupRunning => "A run of this target is already under way.", "この対象の処理はすでに実行中です。";
    ErrBackupNoRunner => "This target has no built-in runner, or it is switched off.", "この対象には組み込みランナーがないか、無効になっています。";
    ErrBackupNoDatabase => "No usable postgres:// database URL is configured for the runner.", "ランナーに使用できる postgres:// のデータベース URL が設定されていません。";
    ErrBackupCommand => "Enter a command: a program, then arguments of which one contains {file}.", "プログラムと、{file} を含む引数からなるコマンドを入力してください。";
    ErrBackupNothingToRestore => "No built-in full backup of this target is available to restore.", "この対象には復元できる組み込みのフルバックアップがありません。";
    ErrBackupStillKept => "A retention rule or a backup that depends on it still keeps this backup: it cannot be pruned.", "保持ルールまたはこれに依存するバックアップがまだ保持しているため、このバックアップは削除できません。";
    ErrBackupNotBuiltIn => "Only backups made by opsdeck's runner can be pruned here; delete the others with their agent.", "ここで削除できるのは opsdeck のランナーが作成したバックアップだけです。その他はバックアップエージェントで削除してください。";
    ErrBackupUnknownRun => "This backup does not exist, belongs to another target or was already pruned.", "このバックアップは存在しないか、別の対象のものか、すでに削除されています。";
    ErrSpan => "Enter a span like 7d, 4w, 12m or 5y.", "7d、4w、12m、5y のような期間を入力してください。";
    ErrDatabaseUrl => "Enter a postgres:// URL, or leave it empty for opsdeck's own database.", "postgres:// の URL を入力するか、opsdeck 自身のデータベースを使う場合は空欄にしてください。";
    ErrEndBeforeStart => "The end is before the start.", "終了が開始より前になっています。";
    // Monitoring settings (issue 10 items 1, 3).
    ErrProbeInterval => "Enter an interval from 1 000 to 3 600 000 ms (1 s to 1 h).", "間隔は 1000〜3600000 ms（1 秒〜1 時間）で入力してください。";
    ErrProbeTimeout => "Enter a timeout from 100 to 60 000 ms, not longer than the interval.", "タイムアウトは 100〜60000 ms で、間隔以下にしてください。";
    ErrRetentionOrder => "Rollups must be kept at least as long as the raw rows they sum.", "集計データは元データ以上の期間保持してください。";
    ErrSlaEnvironment => "Choose an environment: local, development, staging or production.", "環境（local、development、staging、production）を選んでください。";
    ErrSlaMonthRange => "Choose a month of the last five years, up to this month.", "過去 5 年以内、今月までの月を選んでください。";
    ErrSlaNotAnOutage => "This is not one of the month's outages: reload the page and choose one from the list.", "この期間は当月の障害ではありません。ページを再読み込みして一覧から選んでください。";
    ErrSlaAlreadyClassified => "This outage is already classified: remove that classification first.", "この障害は分類済みです。先にその分類を取り消してください。";
    ErrIncidentResolved => "This incident is resolved: its runbook can no longer change.", "このインシデントは解決済みのため、ランブックは変更できません。";
    ErrDeployFinal => "This deploy has already started or ended: this can no longer change.", "このデプロイはすでに開始または終了しているため、変更できません。";
    ErrDeployRunning => "This deploy is running: its checklist can no longer change.", "このデプロイは実行中のため、チェックリストは変更できません。";
    ErrDeploySelfApproval => "You requested this deploy: another approver must approve it.", "このデプロイの依頼者はあなたです。別の承認者が承認する必要があります。";
    ErrDeployAlreadyVoted => "You have already approved this deploy.", "このデプロイはすでに承認済みです。";
    ErrDeployNotFrozen => "No code freeze holds for this deploy now: there is nothing to override.", "現在このデプロイに適用されるコードフリーズはありません。上書きの必要はありません。";
    ErrDeployChecklistOpen => "Not every checklist item is ticked yet.", "チェックリストの未確認の項目があります。";
    ErrDeployApprovalsMissing => "The deploy still needs approval by an approver other than its requester.", "依頼者以外の承認者による承認がまだ必要です。";
    ErrDeployCodeFreeze => "A release's code freeze holds: only an admin's override with a written reason lets this deploy start.", "リリースのコードフリーズ期間中です。管理者が理由を記入して上書きした場合のみ開始できます。";
    ErrDeployNotLive => "Only the deploy that is live in this environment can be rolled back.", "ロールバックできるのは、この環境で現在稼働中のデプロイだけです。";
    ErrDeployVersion => "Enter a version of at most 100 characters, without spaces.", "空白を含まない 100 文字以内のバージョンを入力してください。";
    ErrDeployCommit => "Enter a commit hash: up to 64 hexadecimal characters, or leave it empty.", "コミットハッシュ（64 文字以内の 16 進数）を入力するか、空欄にしてください。";
    ErrDeployDriverConfig => "The driver's configuration does not fit the driver: see the fields it needs.", "ドライバーの設定がドライバーの形式に合っていません。必要な項目を確認してください。";
    ErrDeployPolicyFloor => "Staging and Production always need the checklist, and Production at least one approval (R-DEP-4, R-DEP-5).", "ステージングと本番ではチェックリストが、本番では 1 人以上の承認が常に必要です (R-DEP-4, R-DEP-5)。";
    // Alerts (R-MON-3, R-MON-4).
    ErrAlertName => "Use 1–100 letters, digits, '_', '-' or '.'.", "1〜100 文字の英数字・「_」「-」「.」で入力してください。";
    ErrAlertNameTaken => "Another rule already has this name.", "同じ名前のルールが既にあります。";
    ErrAlertCondition => "Write a condition like error_rate > 5%: a metric, a comparison (>, >=, <, <=, ==, !=) and a number with an optional unit.", "error_rate > 5% のように、メトリクス・比較演算子 (>, >=, <, <=, ==, !=)・数値 (単位は省略可) で条件を書いてください。";
    ErrAlertMetric => "Unknown metric: use one from the table of metrics.", "不明なメトリクスです。メトリクス一覧にあるものを使ってください。";
    ErrAlertUnitPercent => "This metric is measured in %: write the threshold in % or as a bare number (meaning %).", "このメトリクスの単位は % です。閾値は % を付けるか、単位なし (% とみなします) で書いてください。";
    ErrAlertUnitMs => "This metric is a time in ms: write the threshold in ms or s, or as a bare number (meaning ms).", "このメトリクスは ms 単位の時間です。閾値は ms か s を付けるか、単位なし (ms とみなします) で書いてください。";
    ErrAlertUnitBare => "This metric has no unit: write the threshold as a bare number.", "このメトリクスには単位がありません。閾値は単位なしの数値で書いてください。";
    ErrAlertDuration => "Write a duration like 30s, 5m, 1h or 1d.", "30s・5m・1h・1d のように期間を書いてください。";
    ErrAlertChannel => "Unknown notification channel: use the channels set up under Admin → Channels.", "不明な通知チャネルです。管理 → チャネルにあるものを使ってください。";
    ErrAlertGroup => "Unknown recipient group.", "不明な通知先グループです。";
    ErrAlertYamlSyntax => "This is not valid YAML here.", "ここで YAML として読み取れません。";
    ErrAlertYamlShape => "Expected the policy's format: `alerts:` followed by a list of rules.", "ポリシーの形式 (`alerts:` の下にルールのリスト) で書いてください。";
    ErrAlertYamlKey => "Unknown key: a rule has name, condition, duration, severity and notify.", "不明なキーです。ルールのキーは name・condition・duration・severity・notify です。";
    ErrAlertYamlType => "Expected text here (notify: a list of channel names).", "ここには文字列を書いてください (notify はチャネル名のリスト)。";
    ErrAlertYamlTooLarge => "The file is too large (at most 256 KB).", "ファイルが大きすぎます (256 KB まで)。";
    ErrAlertNotFiring => "Only a firing alert can be acknowledged.", "確認済みにできるのは発生中のアラートだけです。";
    ErrAlertSilenceLength => "A monthly window lasts 1 to 1440 minutes.", "毎月の時間帯は 1〜1440 分で指定してください。";
    ErrAlertSilenceEnded => "The end must be in the future.", "終了は未来の日時にしてください。";
} }

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages_r_ui_3() {
        for m in Msg::ALL {
            assert!(!m.text(Lang::En).is_empty(), "{m:?} en");
            assert!(!m.text(Lang::Ja).is_empty(), "{m:?} ja");
        }
    }

    #[test]
    fn language_cookie_is_read_from_header() {
        assert_eq!(
            Lang::from_cookie_header("a=b; opsdeck_lang=ja"),
            Some(Lang::Ja)
        );
        assert_eq!(Lang::from_cookie_header("opsdeck_lang=xx"), None);
        assert_eq!(Lang::from_cookie_header(""), None);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn first_visit_language_from_accept_language_r_ui_3() {
        assert_eq!(Lang::from_accept_language("ja"), Lang::Ja);
        assert_eq!(
            Lang::from_accept_language("ja-JP,ja;q=0.9,en-US;q=0.8"),
            Lang::Ja
        );
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,ja;q=0.8"),
            Lang::En
        );
        assert_eq!(Lang::from_accept_language("fr-FR, ja;q=0.5"), Lang::Ja);
        assert_eq!(Lang::from_accept_language("ja;q=0, en;q=0.1"), Lang::En);
        assert_eq!(Lang::from_accept_language("de"), Lang::default());
        assert_eq!(Lang::from_accept_language(""), Lang::default());
    }
}
