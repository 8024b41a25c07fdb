//! The product's sections: one definition drives the navigation, the routes' titles and the
//! "not built yet" pages, so adding a section is one enum variant.

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

    /// Heading shown above the group; the overview group has none.
    pub fn heading(self) -> Option<&'static str> {
        match self {
            NavGroup::Overview => None,
            NavGroup::Tracing => Some("Tracing"),
            NavGroup::Prompts => Some("Prompts"),
            NavGroup::Evaluation => Some("Evaluation"),
            NavGroup::Insights => Some("Insights"),
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

    pub fn label(self) -> &'static str {
        match self {
            Section::Home => "Home",
            Section::Traces => "Traces",
            Section::Sessions => "Sessions",
            Section::Users => "Users",
            Section::Prompts => "Prompts",
            Section::Playground => "Playground",
            Section::Scores => "Scores",
            Section::AnnotationQueues => "Annotation queues",
            Section::Datasets => "Datasets",
            Section::Evaluators => "Evaluators",
            Section::Dashboards => "Dashboards",
            Section::Settings => "Settings",
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

    /// What the section will let people do, shown on its page until it is built.
    pub fn purpose(self) -> &'static str {
        match self {
            Section::Home => "An overview of this Loupe instance.",
            Section::Traces => "Browse, filter and search every trace your application sends through the Langfuse SDKs, and open any of them as a waterfall of its observations.",
            Section::Sessions => "Follow multi-turn conversations: all traces that share a session id, in order.",
            Section::Users => "See activity, cost and scores per end user of your application.",
            Section::Prompts => "Version text and chat prompts, move labels such as production and staging between versions, and compare versions side by side.",
            Section::Playground => "Try prompts against real LLM providers and edit them together in real time.",
            Section::Scores => "Numeric, categorical and boolean scores from your code, from users and from evaluators, with their configurations.",
            Section::AnnotationQueues => "Queues of traces and observations for people to review and score.",
            Section::Datasets => "Collections of inputs and expected outputs to run experiments against.",
            Section::Evaluators => "LLM-as-a-judge evaluators that score new traces automatically.",
            Section::Dashboards => "Usage, cost, latency and quality over time, by model, user and pricing tier.",
            Section::Settings => "Project and organization settings: members, roles, API keys, model prices and the audit log.",
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
        let labels: HashSet<_> = Section::ALL.iter().map(|s| s.label()).collect();
        assert_eq!(paths.len(), Section::ALL.len());
        assert_eq!(labels.len(), Section::ALL.len());
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
