//! The product's sections: one definition drives the navigation and the routes' titles, so
//! adding a section is one enum variant.

/// A top-level area of the product, as listed in the left navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    Home,
    Traces,
    Sessions,
    Users,
    Prompts,
    Playground,
    Scores,
    AnnotationQueues,
    Datasets,
    Evaluators,
    Dashboards,
    Settings,
}

/// Navigation groups, in display order. `None` renders without a heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NavGroup {
    Overview,
    Tracing,
    Prompts,
    Evaluation,
    Insights,
    Configuration,
}

impl NavGroup {
    pub const ALL: [NavGroup; 6] = [
        NavGroup::Overview,
        NavGroup::Tracing,
        NavGroup::Prompts,
        NavGroup::Evaluation,
        NavGroup::Insights,
        NavGroup::Configuration,
    ];

    /// Heading shown above the group, in `locale`; the overview and configuration groups have none.
    pub fn heading(self, locale: crate::i18n::Locale) -> Option<&'static str> {
        use crate::i18n::td_string;
        match self {
            NavGroup::Overview => None,
            NavGroup::Tracing => Some(td_string!(locale, common.nav.groups.tracing)),
            NavGroup::Prompts => Some(td_string!(locale, common.nav.groups.prompts)),
            NavGroup::Evaluation => Some(td_string!(locale, common.nav.groups.evaluation)),
            NavGroup::Insights => Some(td_string!(locale, common.nav.groups.insights)),
            NavGroup::Configuration => None,
        }
    }
}

impl Section {
    pub const ALL: [Section; 12] = [
        Section::Home,
        Section::Traces,
        Section::Sessions,
        Section::Users,
        Section::Prompts,
        Section::Playground,
        Section::Scores,
        Section::AnnotationQueues,
        Section::Datasets,
        Section::Evaluators,
        Section::Dashboards,
        Section::Settings,
    ];

    /// The section's name in the navigation, in `locale`.
    pub fn label(self, locale: crate::i18n::Locale) -> &'static str {
        use crate::i18n::td_string;
        match self {
            Section::Home => td_string!(locale, common.sections.home),
            Section::Traces => td_string!(locale, common.sections.traces),
            Section::Sessions => td_string!(locale, common.sections.sessions),
            Section::Users => td_string!(locale, common.sections.users),
            Section::Prompts => td_string!(locale, common.sections.prompts),
            Section::Playground => td_string!(locale, common.sections.playground),
            Section::Scores => td_string!(locale, common.sections.scores),
            Section::AnnotationQueues => td_string!(locale, common.sections.annotation_queues),
            Section::Datasets => td_string!(locale, common.sections.datasets),
            Section::Evaluators => td_string!(locale, common.sections.evaluators),
            Section::Dashboards => td_string!(locale, common.sections.dashboards),
            Section::Settings => td_string!(locale, common.sections.settings),
        }
    }

    /// The section's path inside a project (`/project/{id}` + this); Home is `/`.
    pub fn path(self) -> &'static str {
        match self {
            Section::Home => "/",
            Section::Traces => "/traces",
            Section::Sessions => "/sessions",
            Section::Users => "/users",
            Section::Prompts => "/prompts",
            Section::Playground => "/playground",
            Section::Scores => "/scores",
            Section::AnnotationQueues => "/annotation-queues",
            Section::Datasets => "/datasets",
            Section::Evaluators => "/evaluators",
            Section::Dashboards => "/dashboards",
            Section::Settings => "/settings",
        }
    }

    /// The link to the section: inside the given project, or home when there is none (every
    /// section but Home shows one project's data).
    pub fn href(self, project_id: Option<&str>) -> String {
        match (self, project_id) {
            (Section::Home, _) | (_, None) => "/".to_string(),
            (section, Some(project)) => format!("/project/{project}{}", section.path()),
        }
    }

    pub fn group(self) -> NavGroup {
        match self {
            Section::Home => NavGroup::Overview,
            Section::Traces | Section::Sessions | Section::Users => NavGroup::Tracing,
            Section::Prompts | Section::Playground => NavGroup::Prompts,
            Section::Scores
            | Section::AnnotationQueues
            | Section::Datasets
            | Section::Evaluators => NavGroup::Evaluation,
            Section::Dashboards => NavGroup::Insights,
            Section::Settings => NavGroup::Configuration,
        }
    }

    /// The section a URL path belongs to, if any (used to highlight the navigation).
    pub fn for_path(path: &str) -> Option<Section> {
        if path == "/" {
            return Some(Section::Home);
        }
        let rest = project_from_path(path).map(|(_, rest)| rest)?;
        Section::ALL.into_iter().filter(|s| *s != Section::Home).find(|s| {
            let section_path = s.path();
            rest == section_path || rest.strip_prefix(section_path).is_some_and(|r| r.starts_with('/'))
        })
    }
}

/// `/project/{id}/rest…` → `(id, "/rest…")`; `None` outside a project.
pub fn project_from_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/project/")?;
    let (id, rest) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, ""),
    };
    (!id.is_empty()).then_some((id, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn paths_and_labels_are_unique() {
        let paths: HashSet<_> = Section::ALL.iter().map(|s| s.path()).collect();
        assert_eq!(paths.len(), Section::ALL.len());
        for locale in <crate::i18n::Locale as leptos_i18n::Locale>::get_all() {
            let labels: HashSet<_> = Section::ALL.iter().map(|s| s.label(*locale)).collect();
            assert_eq!(labels.len(), Section::ALL.len(), "{locale:?}");
        }
    }

    #[test]
    fn every_group_has_a_section() {
        for group in NavGroup::ALL {
            assert!(Section::ALL.iter().any(|s| s.group() == group), "{group:?} is empty");
        }
    }

    #[test]
    fn for_path_matches_prefixes_on_segment_boundaries() {
        assert_eq!(Section::for_path("/"), Some(Section::Home));
        assert_eq!(Section::for_path("/project/p1/traces"), Some(Section::Traces));
        assert_eq!(Section::for_path("/project/p1/traces/abc"), Some(Section::Traces));
        assert_eq!(Section::for_path("/project/p1/tracesx"), None);
        assert_eq!(Section::for_path("/project/p1/annotation-queues"), Some(Section::AnnotationQueues));
        assert_eq!(Section::for_path("/traces"), None, "sections live inside a project");
        assert_eq!(Section::for_path("/project/p1/nope"), None);
    }

    #[test]
    fn links_carry_the_project() {
        assert_eq!(Section::Traces.href(Some("p1")), "/project/p1/traces");
        assert_eq!(Section::Settings.href(Some("p1")), "/project/p1/settings");
        assert_eq!(Section::Home.href(Some("p1")), "/");
        assert_eq!(project_from_path("/project/p1/traces/x"), Some(("p1", "/traces/x")));
        assert_eq!(project_from_path("/project/p1"), Some(("p1", "")));
        assert_eq!(project_from_path("/organization/o1"), None);
    }
}
