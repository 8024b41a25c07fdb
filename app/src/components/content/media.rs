//! A media attachment where the SDK left its reference (`domain::content::MediaReference`):
//! raster images inline, audio and video with a player, anything else as a download link. The
//! bytes come from this server's `/api/media` route (session or public trace), never from a URL
//! in the data; the route serves only inert types inline (see `server/src/http/media.rs`).
//!
//! The project the media belongs to comes from [`MediaScope`], which the trace views provide;
//! without it (a view that is not a trace's) the reference is shown as a label.

use leptos::prelude::*;

use crate::domain::content::{MediaKind, MediaReference};
use crate::i18n::{td_string, Locale};

/// The project whose media the content views on this part of the page may show.
#[derive(Clone, Debug)]
pub struct MediaScope {
    pub project_id: String,
}

const MUTED: &str = "text-xs text-zinc-500 dark:text-zinc-400";
const LINK: &str = "text-indigo-600 underline hover:text-indigo-500 dark:text-indigo-400";

pub fn media(reference: &MediaReference, locale: Locale) -> AnyView {
    let label = td_string!(locale, trace.content.attachment, content_type = reference.content_type.clone()).to_string();
    let Some(scope) = use_context::<MediaScope>() else {
        return view! { <p class=MUTED data-testid="media-reference">{format!("{label} ({})", reference.id)}</p> }.into_any();
    };
    let src = reference.url(&scope.project_id);
    let kind = reference.kind();
    let player = match kind {
        MediaKind::Image => view! {
            <a href=src.clone() target="_blank" rel="noopener noreferrer">
                <img src=src.clone() alt=label.clone() loading="lazy" class="max-h-64 max-w-full rounded border border-zinc-200 dark:border-zinc-800" />
            </a>
        }
        .into_any(),
        MediaKind::Audio => view! { <audio controls preload="none" src=src.clone() class="w-full max-w-md"></audio> }.into_any(),
        MediaKind::Video => view! { <video controls preload="none" src=src.clone() class="max-h-64 max-w-full rounded"></video> }.into_any(),
        MediaKind::File => ().into_any(),
    };
    let kind_name = match kind {
        MediaKind::Image => "image",
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
        MediaKind::File => "file",
    };
    view! {
        <div data-testid="media" data-kind=kind_name class="space-y-1">
            {player}
            <p class=MUTED>
                <a class=LINK href=src download=format!("{}", reference.id)>{td_string!(locale, trace.content.download, label = label.clone()).to_string()}</a>
            </p>
        </div>
    }
    .into_any()
}
