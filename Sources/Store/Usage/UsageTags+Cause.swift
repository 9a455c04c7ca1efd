import Cloud

extension UsageTags {
    /// The cause of work done now: what the engine set; else the hook running it: one on
    /// `instance.failed` heals (Stdlib/heal's), a `when{}` alarm's scales (autoscale's
    /// thresholds), any other is `hook`; else `fallback` (`declared` in an apply, `manual` in a
    /// primitive).
    public static func currentCause(default fallback: String) -> String {
        if let cause { return cause }
        if let hook = EventCause.current?.hook {
            if hook.contains("#on:instance.failed#") { return "heal" }
            if hook.contains("#when:") { return "autoscale" }
            return "hook"
        }
        return fallback
    }
}
