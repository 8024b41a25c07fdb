//! Reusable UI pieces: the shell layout, the theme switch, icons and small building blocks.

pub mod annotate;
pub mod charts;
pub mod comments;
pub mod content;
pub mod dataset_picker;
pub mod folder_list;
pub mod http_status;
pub mod icons;
pub mod layout;
pub mod otel_inspector;
pub mod prompt_diff;
pub mod prompt_editor;
pub mod prompt_view;
pub mod queue_picker;
pub mod live;
pub mod on_demand;
pub mod session;
pub mod shared_doc;
pub mod theme;
pub mod ui;
pub mod usage_banner;
pub mod waterfall;
