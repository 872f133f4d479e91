//! The release notes editor (R-REL-4): one text per section, a live preview
//! rendered by the server, and saves that never silently overwrite someone
//! else's — a conflict shows both texts and lets the person merge.

use super::msg::RelMsg as M;
use super::plan::Debounce;
use crate::api::releases::{preview_release_notes, save_release_notes};
use crate::components::error_box::error_text;
use crate::error::AppError;
use crate::i18n::fill;
use crate::model::releases::{
    NotesForm, ReleaseDetail, ReleaseRow, ReleaseStatus, SaveNotesOutcome,
};
use crate::{tr, use_lang};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use leptos::prelude::*;
use opsdeck::release_notes::Section;

/// A save refused because someone saved a newer revision meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictInfo {
    pub head_revision: i32,
    pub head_author: String,
    pub head_at: DateTime<Utc>,
    pub theirs: String,
    pub yours: String,
}

/// The editor's state, owned by the page (outside the view that reloads):
/// the texts the person typed survive every reload of the release.
#[derive(Clone, Copy)]
pub struct Editor {
    /// One text per section, in `Section::ALL` order.
    texts: [RwSignal<String>; 5],
    /// The revision the texts build on (sent with a save).
    base: RwSignal<i32>,
    /// The release the texts were loaded for.
    loaded: StoredValue<Option<i64>>,
    dirty: RwSignal<bool>,
    saved: RwSignal<Option<i32>>,
    conflict: RwSignal<Option<ConflictInfo>>,
    /// After a conflict: the head revision the editor now builds on.
    rebased: RwSignal<Option<i32>>,
    theirs_unreadable: RwSignal<bool>,
    /// The last preview that rendered (kept while the current text has an error).
    preview_html: RwSignal<Option<String>>,
    save: Action<(i64, i32, NotesForm), Result<SaveNotesOutcome, AppError>>,
    preview: Action<(i64, NotesForm), Result<String, AppError>>,
    debounce: Debounce,
    reload: RwSignal<u32>,
}

impl Editor {
    /// Created by the page at its top level; `reload` reloads the release.
    pub fn new(reload: RwSignal<u32>) -> Self {
        let save = Action::new(|(id, base, f): &(i64, i32, NotesForm)| {
            let (id, base, f) = (*id, *base, f.clone());
            async move {
                save_release_notes(
                    id,
                    base,
                    f.new_features,
                    f.improvements,
                    f.bug_fixes,
                    f.known_issues,
                    f.upgrade_steps,
                )
                .await
            }
        });
        let preview = Action::new(|(id, f): &(i64, NotesForm)| {
            let (id, f) = (*id, f.clone());
            async move {
                preview_release_notes(
                    id,
                    f.new_features,
                    f.improvements,
                    f.bug_fixes,
                    f.known_issues,
                    f.upgrade_steps,
                )
                .await
            }
        });
        let e = Editor {
            texts: std::array::from_fn(|_| RwSignal::new(String::new())),
            base: RwSignal::new(0),
            loaded: StoredValue::new(None),
            dirty: RwSignal::new(false),
            saved: RwSignal::new(None),
            conflict: RwSignal::new(None),
            rebased: RwSignal::new(None),
            theirs_unreadable: RwSignal::new(false),
            preview_html: RwSignal::new(None),
            save,
            preview,
            debounce: Debounce::new(),
            reload,
        };
        Effect::new(move |_| match save.value().get() {
            Some(Ok(SaveNotesOutcome::Saved { revision })) => {
                e.base.set(revision);
                e.saved.set(Some(revision));
                e.dirty.set(false);
                e.conflict.set(None);
                e.rebased.set(None);
                e.theirs_unreadable.set(false);
                reload.update(|n| *n += 1);
            }
            Some(Ok(SaveNotesOutcome::Conflict {
                head_revision,
                head_author,
                head_at,
                theirs,
                yours,
                ..
            })) => {
                e.saved.set(None);
                e.rebased.set(None);
                e.theirs_unreadable.set(false);
                e.conflict.set(Some(ConflictInfo {
                    head_revision,
                    head_author,
                    head_at,
                    theirs,
                    yours,
                }));
            }
            _ => {}
        });
        Effect::new(move |_| {
            if let Some(Ok(html)) = preview.value().get() {
                e.preview_html.set(Some(html));
            }
        });
        e
    }

    /// Fills the texts from the release's head revision — only the first
    /// time this release is shown, never over what the person typed.
    pub fn init(self, d: &ReleaseDetail) {
        if self.loaded.get_value() == Some(d.release.id) {
            return;
        }
        self.loaded.set_value(Some(d.release.id));
        self.set_form(&NotesForm::from_notes(&d.notes));
        self.base.set(d.release.notes_revision);
        self.dirty.set(false);
        self.saved.set(None);
        self.conflict.set(None);
        self.rebased.set(None);
        self.theirs_unreadable.set(false);
        self.preview_html.set(None);
        self.save.value().set(None);
        self.preview.value().set(None);
    }

    fn set_form(self, form: &NotesForm) {
        for (text, s) in self.texts.iter().zip(Section::ALL) {
            text.set(form.get(s).to_string());
        }
    }

    fn form(self) -> NotesForm {
        let mut form = NotesForm::default();
        for (text, s) in self.texts.iter().zip(Section::ALL) {
            form.set(s, text.get_untracked());
        }
        form
    }

    /// After each keystroke: unsaved, and a preview once typing pauses.
    fn touched(self) {
        self.dirty.set(true);
        self.saved.set(None);
        self.debounce.call(move || {
            if let Some(id) = self.loaded.try_get_value().flatten() {
                self.preview.dispatch((id, self.form()));
            }
        });
    }

    fn submit(self) {
        if let Some(id) = self.loaded.get_value() {
            self.save
                .dispatch((id, self.base.get_untracked(), self.form()));
        }
    }

    /// Their text replaces the person's in the editor; the next save builds on it.
    fn load_theirs(self, c: &ConflictInfo) {
        match opsdeck::release_notes::parse_markdown(&c.theirs) {
            Ok(notes) => {
                self.set_form(&NotesForm::from_notes(&notes));
                self.base.set(c.head_revision);
                self.rebased.set(Some(c.head_revision));
                self.theirs_unreadable.set(false);
                self.dirty.set(false);
                self.preview_html.set(None);
                self.preview.value().set(None);
                self.reload.update(|n| *n += 1);
            }
            Err(_) => self.theirs_unreadable.set(true),
        }
    }

    /// The person keeps their text and merges by hand; the next save builds on theirs.
    fn keep_mine(self, c: &ConflictInfo) {
        self.base.set(c.head_revision);
        self.rebased.set(Some(c.head_revision));
        self.theirs_unreadable.set(false);
        self.reload.update(|n| *n += 1);
    }
}

/// The editor beside its live preview (two columns, one on narrow screens).
#[component]
pub fn NotesEditor(
    editor: Editor,
    release: ReleaseRow,
    /// The saved head rendered by the server, shown until the first preview.
    stored_html: String,
    tz: Tz,
) -> impl IntoView {
    let lang = use_lang();
    let published = release.status == ReleaseStatus::Released;
    let version = release.version.clone();
    let fields = editor
        .texts
        .iter()
        .zip(Section::ALL)
        .map(|(text, s)| {
            let text = *text;
            let locked = published && s != Section::KnownIssues;
            let name = format!("notes-{}", s.key());
            view! {
                <div class="field notes-field">
                    <label for=name.clone()>
                        {s.heading_ja()} " / " {s.label_en()}
                        {s.is_numbered().then(|| view! { <span class="muted small">" (" {M::Numbered.text(lang)} ")"</span> })}
                    </label>
                    <textarea id=name.clone() name=name.clone() data-testid=name rows="5" disabled=locked
                        prop:value=move || text.get()
                        on:input=move |ev| { text.set(event_target_value(&ev)); editor.touched(); }>
                        {text.get_untracked()}
                    </textarea>
                </div>
            }
        })
        .collect_view();
    let save_result = editor.save.value();
    let save_error = move || {
        save_result
            .get()
            .and_then(|r| r.err())
            .map(|e| match e.for_field("notes") {
                Some(m) => tr(m).to_string(),
                None => error_text(&e),
            })
    };
    let preview_error = move || {
        editor
            .preview
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| match e.for_field("notes") {
                Some(m) => tr(m).to_string(),
                None => error_text(&e),
            })
    };
    let preview_html = move || {
        editor
            .preview_html
            .get()
            .unwrap_or_else(|| stored_html.clone())
    };
    let conflict = move || {
        editor.conflict.get().map(|c| {
            let text = fill(
                M::Conflict.text(lang),
                &[
                    ("version", &version),
                    ("who", &c.head_author),
                    ("at", &crate::time::format(c.head_at, tz)),
                    ("n", &c.head_revision.to_string()),
                ],
            );
            let (c1, c2) = (c.clone(), c.clone());
            view! {
                <div class="alert rel-warning notes-conflict" role="alert" data-testid="notes-conflict">
                    <p><strong><span aria-hidden="true">"⚠ "</span>{text}</strong></p>
                    <div class="conflict-texts">
                        <div>
                            <h3 class="small-heading">{fill(M::Theirs.text(lang), &[("n", &c.head_revision.to_string())])}</h3>
                            <pre data-testid="conflict-theirs">{c.theirs.clone()}</pre>
                        </div>
                        <div>
                            <h3 class="small-heading">{M::Yours.text(lang)}</h3>
                            <pre data-testid="conflict-yours">{c.yours.clone()}</pre>
                        </div>
                    </div>
                    {move || editor.rebased.get().map(|n| view! {
                        <p data-testid="conflict-rebased">{fill(M::ConflictRebased.text(lang), &[("n", &n.to_string())])}</p>
                    })}
                    <p class="alert alert-error" hidden=move || !editor.theirs_unreadable.get()>{M::TheirsUnreadable.text(lang)}</p>
                    <div class="row">
                        <button type="button" class="button" data-testid="conflict-load-theirs"
                            on:click=move |_| editor.load_theirs(&c1)>{M::LoadTheirs.text(lang)}</button>
                        <button type="button" class="button" data-testid="conflict-keep-mine"
                            on:click=move |_| editor.keep_mine(&c2)>{M::KeepMine.text(lang)}</button>
                        <button type="button" class="button link" data-testid="conflict-close"
                            on:click=move |_| { editor.conflict.set(None); editor.rebased.set(None); }>{M::ConflictClose.text(lang)}</button>
                    </div>
                </div>
            }
        })
    };
    view! {
        <section class="card notes-editor-section" data-testid="notes-editor-section">
            <h2>{M::EditorTitle.text(lang)}</h2>
            <p class="muted">{M::EditorHint.text(lang)}</p>
            {published.then(|| view! {
                <p class="alert rel-warning" data-testid="notes-locked">{M::PublishedOnlyKnown.text(lang)}</p>
            })}
            {conflict}
            <div class="notes-editor-grid">
                <form class="notes-editor" data-testid="notes-editor" novalidate
                    on:submit=move |ev| { ev.prevent_default(); editor.submit(); }>
                    {fields}
                    <p class="muted small" data-testid="notes-base">
                        {move || fill(M::EditingOn.text(lang), &[("n", &editor.base.get().to_string())])}
                        {move || editor.dirty.get().then(|| view! {
                            " " <span class="status-warning" data-testid="notes-dirty">{M::Unsaved.text(lang)}</span>
                        })}
                    </p>
                    <p class="alert alert-error" role="alert" data-testid="notes-error" hidden=move || save_error().is_none()>{save_error}</p>
                    <p class="alert alert-ok" role="status" data-testid="notes-saved" hidden=move || editor.saved.get().is_none()>
                        {move || editor.saved.get().map(|n| fill(M::SavedRevision.text(lang), &[("n", &n.to_string())]))}
                    </p>
                    <div class="row">
                        <button type="submit" class="button primary" data-testid="notes-save"
                            disabled=move || editor.save.pending().get()>{M::SaveNotes.text(lang)}</button>
                    </div>
                </form>
                <div class="notes-preview-col">
                    <h3 class="small-heading">{M::Preview.text(lang)}</h3>
                    <p class="muted small">{M::PreviewHint.text(lang)}</p>
                    <p class="alert alert-error" role="alert" data-testid="preview-error" hidden=move || preview_error().is_none()>{preview_error}</p>
                    <div class="notes notes-preview" data-testid="notes-preview" inner_html=preview_html></div>
                </div>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_rel_4_their_markdown_loads_back_into_the_editor() {
        // What "Load their version into the editor" does with a conflict's `theirs`.
        let form = NotesForm {
            bug_fixes: "共有リンクの有効期限切れを修正 (#171)\nデッキ一覧の並び順を修正 (#172)"
                .into(),
            known_issues: "Safari 16 で表示が崩れる".into(),
            upgrade_steps: "キャッシュクリア\n再起動".into(),
            ..NotesForm::default()
        };
        let theirs = form
            .to_notes(opsdeck::versions::Version::new(1, 2, 4), true)
            .render_markdown();
        let parsed = opsdeck::release_notes::parse_markdown(&theirs).expect("parses");
        assert_eq!(NotesForm::from_notes(&parsed), form);
    }
}
