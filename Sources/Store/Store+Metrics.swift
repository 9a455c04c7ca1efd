import Foundation
import GRDB

/// Metric samples: agents' heartbeats (cpu, memory), and what services, recipes and
/// `recipe metrics put` push. Raw samples are kept for an hour; `downsample` keeps 1-minute
/// averages for a day and 1-hour averages for 30 days.
extension Store {
    public func putMetric(instance: String, name: String, value: Double, at time: Date = Date()) throws {
        try db.write { db in
            try db.execute(sql: "INSERT INTO metrics(instanceID, time, name, value) VALUES (?, ?, ?, ?)",
                           arguments: [instance, time.timeIntervalSince1970, name, value])
        }
    }

    /// Every sample of `name` from `instances` since `since`.
    public func metricValues(instances: [String], name: String, since: Date) throws -> [Double] {
        guard !instances.isEmpty else { return [] }
        return try db.read { db in
            let marks = Array(repeating: "?", count: instances.count).joined(separator: ",")
            return try Double.fetchAll(db, sql: "SELECT value FROM metrics WHERE name = ? AND time >= ? AND instanceID IN (\(marks))",
                                       arguments: StatementArguments([name, since.timeIntervalSince1970] as [any DatabaseValueConvertible] + instances))
        }
    }

    /// Samples of a set of instances, oldest first, optionally of one name.
    public func metricSamples(instances: [String], name: String?, since: Date) throws -> [(instance: String, time: Date, name: String, value: Double)] {
        guard !instances.isEmpty else { return [] }
        return try db.read { db in
            let marks = Array(repeating: "?", count: instances.count).joined(separator: ",")
            var sql = "SELECT instanceID, time, name, value FROM metrics WHERE time >= ? AND instanceID IN (\(marks))"
            var arguments: [any DatabaseValueConvertible] = [since.timeIntervalSince1970] + instances
            if let name { sql += " AND name = ?"; arguments.append(name) }
            return try Row.fetchAll(db, sql: sql + " ORDER BY time", arguments: StatementArguments(arguments))
                .map { ($0["instanceID"], Date(timeIntervalSince1970: $0["time"]), $0["name"], $0["value"]) }
        }
    }

    /// The samples of `instances` since `since`, averaged in `slots` equal slots up to now: what a
    /// graph draws, a few hundred points however many samples there are.
    public func metricSeries(instances: [String], since: Date, slots: Int, now: Date = Date()) throws -> [MetricPoint] {
        guard !instances.isEmpty, slots > 0, now > since else { return [] }
        let width = now.timeIntervalSince(since) / Double(slots)
        return try db.read { db in
            let marks = Array(repeating: "?", count: instances.count).joined(separator: ",")
            let sql = """
                SELECT instanceID, name, CAST((time - ?) / ? AS INTEGER) AS slot, AVG(value) AS value FROM metrics
                WHERE time >= ? AND instanceID IN (\(marks)) GROUP BY instanceID, name, slot ORDER BY slot
                """
            let arguments: [any DatabaseValueConvertible] = [since.timeIntervalSince1970, width, since.timeIntervalSince1970] + instances
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map {
                MetricPoint(instance: $0["instanceID"], name: $0["name"], slot: min($0["slot"], slots - 1), value: $0["value"])
            }
        }
    }

    /// Rolls samples older than an hour into 1-minute averages, those older than a day into
    /// 1-hour averages, and drops what is older than 30 days.
    public func downsample(now: Date = Date()) throws {
        let t = now.timeIntervalSince1970
        try db.write { db in
            for (olderThan, bucket) in [(3600.0, 60.0), (86400.0, 3600.0)] {
                let cutoff = t - olderThan
                // samples not yet on a bucket boundary are replaced by their bucket's average
                let arguments: StatementArguments = ["bucket": bucket, "cutoff": cutoff]
                try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS rollup(instanceID TEXT, time REAL, name TEXT, value DOUBLE)")
                try db.execute(sql: "DELETE FROM rollup")
                try db.execute(sql: """
                    INSERT INTO rollup SELECT instanceID, CAST(time / :bucket AS INTEGER) * :bucket, name, AVG(value) FROM metrics
                    WHERE time < :cutoff AND time != CAST(time / :bucket AS INTEGER) * :bucket
                    GROUP BY instanceID, name, CAST(time / :bucket AS INTEGER)
                    """, arguments: arguments)
                try db.execute(sql: "DELETE FROM metrics WHERE time < :cutoff AND time != CAST(time / :bucket AS INTEGER) * :bucket",
                               arguments: arguments)
                try db.execute(sql: "INSERT INTO metrics SELECT * FROM rollup")
            }
            try db.execute(sql: "DELETE FROM metrics WHERE time < ?", arguments: [t - 30 * 86400])
        }
    }
}
