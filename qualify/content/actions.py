from qualify.audit.registry import register_actions

register_actions(
    {
        "content.package.unpacked": "E-learning package checked and unpacked",
        "content.attempt.started": "E-learning attempt started",
        "content.attempt.completed": "E-learning attempt completed (package reported completion)",
        "content.attempt.signed": "E-learning completion signed by the learner",
        "content.cmi5.launched": "cmi5 AU launched",
        "content.cmi5.waived": "cmi5 AU waived",
        # A5: a waiver refused for lack of the coordinator's role.
        "content.cmi5.waive_refused": "cmi5 AU waiver refused",
        "content.cmi5.abandoned": "cmi5 session abandoned",
        # A5: an xAPI write refused for a wrong actor or registration.
        "content.xapi.refused": "xAPI statement refused",
    }
)

register_actions(
    {
        "content.course.created": "E-learning course created (authoring)",
        "content.course.updated": "E-learning course changed (authoring)",
        "content.course.page_added": "Page added to an e-learning course",
        "content.course.page_changed": "Page of an e-learning course changed",
        "content.course.page_removed": "Page of an e-learning course removed",
        "content.course.page_moved": "Page of an e-learning course moved",
        "content.course.package_made": "E-learning course given its package document",
        "content.course.published": "E-learning course published as a package version",
    }
)
