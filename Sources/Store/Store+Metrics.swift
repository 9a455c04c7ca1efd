import Foundation

/// Metric samples: agents' heartbeats (cpu, memory), and what services, recipes and
/// `recipe metrics put` push. Raw samples are kept for an hour; `downsample` keeps 1-minute
/// averages for a day and 1-hour averages for 30 days.
extension Store {
    public func putMetric(instance: String, name: String, value: Double, at time: Date = Date()) throws {
        try state.write { sql in
            try sql.execute("INSERT INTO metrics(instanceID, time, name, value) VALUES (?, ?, ?, ?)", instance, time, name, value)
        }
    }

    /// A heartbeat's samples (cpu, memory, memory_percent, load) in the caller's transaction, one
    /// statement: what status, graphs and alarms read of every agent, local or remote.
    public static func heartbeatSamples(_ sql: any StateSQL, instance: String, time: Double, cpuPercent: Double, memoryBytes: Int64,
                                        memoryPercent: Double, load: Double) throws {
        let samples: [(String, Double)] = [("cpu", cpuPercent), ("memory", Double(memoryBytes)), ("memory_percent", memoryPercent), ("load", load)]
        try sql.execute("INSERT INTO metrics(instanceID, time, name, value) VALUES " + samples.map { _ in "(?, ?, ?, ?)" }.joined(separator: ", "),
                        samples.flatMap { sample -> [SQLValue] in [.text(instance), .real(time), .text(sample.0), .real(sample.1)] })
    }

    /// Every sample of `name` from `instances` since `since`.
    public func metricValues(instances: [String], name: String, since: Date) throws -> [Double] {
        guard !instances.isEmpty else { return [] }
        return try state.read { sql in
            try sql.rows("SELECT value FROM metrics WHERE name = ? AND time >= ? AND instanceID IN (\(placeholders(instances.count)))",
                         [SQLValue.text(name), since.sqlValue] + instances.map(SQLValue.text)).compactMap { $0[0].double }
        }
    }

    /// Samples of a set of instances, oldest first, optionally of one name.
    public func metricSamples(instances: [String], name: String?, since: Date) throws -> [(instance: String, time: Date, name: String, value: Double)] {
        guard !instances.isEmpty else { return [] }
        var query = "SELECT instanceID, time, name, value FROM metrics WHERE time >= ? AND instanceID IN (\(placeholders(instances.count)))"
        var arguments: [SQLValue] = [since.sqlValue] + instances.map(SQLValue.text)
        if let name { query += " AND name = ?"; arguments.append(.text(name)) }
        return try state.read { sql in
            try sql.rows(query + " ORDER BY time", arguments).map { row in
                (row[0].string ?? "", row[1].date ?? Date(timeIntervalSince1970: 0), row[2].string ?? "", row[3].double ?? 0)
            }
        }
    }

    /// The samples of `instances` since `since`, averaged in `slots` equal slots up to now: what a
    /// graph draws, a few hundred points however many samples there are.
    public func metricSeries(instances: [String], since: Date, slots: Int, now: Date = Date()) throws -> [MetricPoint] {
        guard !instances.isEmpty, slots > 0, now > since else { return [] }
        let width = now.timeIntervalSince(since) / Double(slots)
        return try state.read { sql in
            let query = """
                SELECT instanceID, name, \(Self.floored("scaled")) AS slot, AVG(value) AS value
                FROM (SELECT instanceID, name, value, (time - ?) / ? AS scaled FROM metrics
                      WHERE time >= ? AND instanceID IN (\(placeholders(instances.count)))) AS samples
                GROUP BY instanceID, name, slot ORDER BY slot
                """
            let arguments: [SQLValue] = [since.sqlValue, .real(width), since.sqlValue] + instances.map(SQLValue.text)
            return try sql.rows(query, arguments).map { row in
                MetricPoint(instance: row[0].string ?? "", name: row[1].string ?? "", slot: min(row[2].int ?? 0, slots - 1),
                            value: row[3].double ?? 0)
            }
        }
    }

    /// Rolls samples older than an hour into 1-minute averages, those older than a day into
    /// 1-hour averages, and drops what is older than 30 days.
    public func downsample(now: Date = Date()) throws {
        let t = now.timeIntervalSince1970
        try state.write { sql in
            for (olderThan, bucket) in [(3600.0, 60.0), (86400.0, 3600.0)] {
                let cutoff = t - olderThan
                // samples not yet on a bucket boundary are replaced by their bucket's average: it
                // goes in on the boundary, which the DELETE after it leaves (no temporary table)
                try sql.execute("""
                    INSERT INTO metrics(instanceID, time, name, value)
                    SELECT instanceID, bucket * ?, name, AVG(value)
                    FROM (SELECT instanceID, name, value, time, \(Self.floored("scaled")) AS bucket
                          FROM (SELECT instanceID, name, value, time, time / ? AS scaled FROM metrics WHERE time < ?) AS samples) AS buckets
                    WHERE time != bucket * ?
                    GROUP BY instanceID, name, bucket
                    """, [.real(bucket), .real(bucket), .real(cutoff), .real(bucket)])
                try sql.execute("DELETE FROM metrics WHERE time < ? AND time != \(Self.floored("time / ?")) * ?",
                                [SQLValue.real(cutoff)] + Array(repeating: SQLValue.real(bucket), count: 4))
            }
            try sql.execute("DELETE FROM metrics WHERE time < ?", t - 30 * 86400)
        }
    }

    /// The largest integer not above `x`, on either engine: a CAST to an integer truncates on
    /// SQLite and rounds on PostgreSQL, so one that came out above `x` is one too many.
    /// `x` is an expression; written three times, so its placeholders are bound three times.
    static func floored(_ x: String) -> String {
        "(CAST(\(x) AS BIGINT) - CASE WHEN CAST(\(x) AS BIGINT) > \(x) THEN 1 ELSE 0 END)"
    }
}
