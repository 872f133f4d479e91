//! Demo releases (issue 11): a year of published releases with their notes
//! (v1.2.0 carries the policy's own example), v1.2.4 planned four days from
//! now — inside its code freeze, so the freeze banner and the deploy gate
//! have something to show — and v1.4.0 five weeks out (v1.3.0 is left for
//! the browser test to plan). Versions are unique,
//! so seeding again adds nothing.

use chrono::{NaiveDate, TimeDelta, Utc};
use opsdeck::release_notes::{NoteItem, ReleaseNotes, Section};
use opsdeck::versions::Version;
use serde_json::json;
use sqlx::PgPool;

/// (version, days from today, released, features, fixes, known issues, upgrade steps).
type DemoRelease = (
    &'static str,
    i64,
    bool,
    &'static [(&'static str, u32)],
    &'static [(&'static str, u32)],
    &'static [(&'static str, u32)],
    &'static [&'static str],
);

const RELEASES: [DemoRelease; 10] = [
    (
        "1.0.0",
        -350,
        true,
        &[("カードデッキ機能の正式版", 12), ("ユーザー登録", 15)],
        &[],
        &[],
        &["データベースマイグレーション実行"],
    ),
    (
        "1.0.1",
        -330,
        true,
        &[],
        &[("ログイン後に一覧が空になる不具合を修正", 31)],
        &[],
        &[],
    ),
    (
        "1.1.0",
        -280,
        true,
        &[("お気に入り機能", 44)],
        &[("画像キャッシュの不整合を修正", 47)],
        &[],
        &["キャッシュクリア"],
    ),
    (
        "1.1.1",
        -250,
        true,
        &[],
        &[("検索結果のページ送りを修正", 58)],
        &[],
        &[],
    ),
    (
        "1.1.2",
        -200,
        true,
        &[],
        &[("モバイルでのレイアウト崩れを修正", 66)],
        &[],
        &[],
    ),
    (
        "1.2.0",
        -120,
        true,
        &[("デッキ共有機能を追加", 123), ("カード検索の高速化", 124)],
        &[
            ("デッキ保存時のエラーを修正", 127),
            ("画像読み込みエラーを修正", 128),
        ],
        &[("特定条件下でのメモリリーク", 129)],
        &[
            "データベースマイグレーション実行",
            "環境変数 `NEW_FEATURE_FLAG` を追加",
            "キャッシュクリア",
        ],
    ),
    (
        "1.2.1",
        -90,
        true,
        &[],
        &[("メモリリークを修正", 129)],
        &[],
        &[],
    ),
    (
        "1.2.2",
        -40,
        true,
        &[],
        &[("通知メールの文字化けを修正", 141)],
        &[],
        &[],
    ),
    (
        "1.2.3",
        -9,
        true,
        &[],
        &[("デッキ複製時のタイムアウトを修正", 150)],
        &[],
        &[],
    ),
    (
        "1.2.4",
        4,
        false,
        &[],
        &[
            ("共有リンクの有効期限切れを修正", 171),
            ("デッキ一覧の並び順を修正", 172),
        ],
        &[],
        &["キャッシュクリア"],
    ),
];

/// v1.4.0 is planned without notes yet.
const LATER: (&str, i64) = ("1.4.0", 38);

fn items(list: &[(&str, u32)]) -> Vec<NoteItem> {
    list.iter()
        .map(|(text, n)| NoteItem::with_issue(*text, *n))
        .collect()
}

pub async fn seed(pool: &PgPool) -> Result<usize, sqlx::Error> {
    let today = Utc::now().date_naive();
    let mut created = 0;
    let mut tx = pool.begin().await?;
    for (version, offset, released, features, fixes, known, steps) in RELEASES {
        let Ok(v) = Version::parse(version) else {
            continue;
        };
        let date = today + TimeDelta::days(offset);
        let mut notes = ReleaseNotes::new(v.clone());
        *notes.items_mut(Section::NewFeatures) = items(features);
        *notes.items_mut(Section::BugFixes) = items(fixes);
        *notes.items_mut(Section::KnownIssues) = items(known);
        *notes.items_mut(Section::UpgradeSteps) = steps.iter().map(|s| NoteItem::new(*s)).collect();
        if version == "1.2.0" {
            *notes.items_mut(Section::Improvements) =
                items(&[("UIレスポンスの向上", 125), ("エラーメッセージの改善", 126)]);
        }
        let Some(id) = insert(&mut tx, &v, date, released).await? else {
            continue;
        };
        created += 1;
        let markdown = notes.render_markdown();
        let value =
            serde_json::to_value(&notes).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        sqlx::query(
            "INSERT INTO release_note_revisions (release_id, revision, notes, markdown, author, created_at) \
             VALUES ($1, 1, $2, $3, 'release', $4)",
        )
        .bind(id)
        .bind(&value)
        .bind(&markdown)
        // Written two days before release day, and never in the future.
        .bind(
            (date.and_hms_opt(1, 0, 0).map(|t| t.and_utc()).unwrap_or_else(Utc::now)
                - TimeDelta::days(2))
            .min(Utc::now() - TimeDelta::hours(3)),
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE releases SET notes_revision = 1 WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    if let Ok(v) = Version::parse(LATER.0) {
        if insert(&mut tx, &v, today + TimeDelta::days(LATER.1), false)
            .await?
            .is_some()
        {
            created += 1;
        }
    }
    tx.commit().await?;
    Ok(created)
}

async fn insert(
    tx: &mut sqlx::PgConnection,
    v: &Version,
    date: NaiveDate,
    released: bool,
) -> Result<Option<i64>, sqlx::Error> {
    let kind = if v.patch() > 0 {
        "patch"
    } else if v.minor() > 0 {
        "minor"
    } else {
        "major"
    };
    let released_at = released
        .then(|| date.and_hms_opt(3, 0, 0).map(|t| t.and_utc()))
        .flatten();
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO releases (version, major, minor, patch, kind, planned_date, status, released_at, released_by, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'release', $10) ON CONFLICT (version) DO NOTHING RETURNING id",
    )
    .bind(v.to_string())
    .bind(i64::try_from(v.major()).unwrap_or(0))
    .bind(i64::try_from(v.minor()).unwrap_or(0))
    .bind(i64::try_from(v.patch()).unwrap_or(0))
    .bind(kind)
    .bind(date)
    .bind(if released { "released" } else { "planned" })
    .bind(released_at)
    .bind(released.then_some("release"))
    .bind(
        date.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc() - TimeDelta::days(30))
            .unwrap_or_else(Utc::now),
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = id {
        opsdeck_app::store::audit::append(
            tx,
            &opsdeck_app::store::audit::Actor::system(),
            "release.demo",
            &format!("release:{id}"),
            None,
            Some(json!({"version": v.to_string(), "planned_date": date, "released": released})),
        )
        .await?;
    }
    Ok(id)
}
