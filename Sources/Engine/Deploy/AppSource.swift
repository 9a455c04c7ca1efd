import Cloud
import Foundation

/// Where an app's releases come from: a git ref, an archive, or a folder as it is now. Each
/// becomes a plain tar archive in the cache, named by its digest, that instances unpack.
enum AppSource {
    static func export(_ app: AppSpec, ref: String, cache: URL) async throws -> (sha: String, archive: URL) {
        let (sha, archive) = try await fetch(app, ref: ref, cache: cache)
        // a git tree or a folder is bounded here, once packed: the plain tar is what instances unpack
        let size = (try? FileManager.default.attributesOfItem(atPath: archive.path)[.size] as? NSNumber)??.int64Value ?? 0
        if size > app.maxSize {
            throw CloudError("app \(app.name): release \(ref) (\(sha.prefix(12))) unpacks to \(ArchiveSource.shown(size)), "
                             + "more than max_size (\(ArchiveSource.shown(app.maxSize))); nothing was deployed")
        }
        return (sha, archive)
    }

    private static func fetch(_ app: AppSpec, ref: String, cache: URL) async throws -> (sha: String, archive: URL) {
        let source = app.source
        if let problem = AppSpec.optionLike(ref, "ref") ?? AppSpec.optionLike(source, "source") {
            throw CloudError("app \(app.name): \(problem)")
        }
        if source.hasPrefix("git+") {
            if app.sha256 != nil { throw CloudError("app \(app.name): sha256 applies to archives, not to git sources") }
            return try await GitSource(cache: cache).export(source: source, ref: ref, app: app.name)
        }
        let archives = ArchiveSource(cache: cache, app: app.name, maxSize: app.maxSize)
        if source.hasPrefix("http://") || source.hasPrefix("https://") {
            guard let url = URL(string: source) else { throw CloudError("app \(app.name): '\(source)' is not a URL") }
            return try await archives.download(url, sha256: app.sha256)
        }
        if source.hasPrefix("file:") {
            let path = String(source.dropFirst(5))
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                return try await archives.folder(path)
            }
            return try await archives.file(URL(fileURLWithPath: path), sha256: app.sha256)
        }
        throw CloudError("app \(app.name): source '\(source)' is not git+URL, git+file:PATH, http(s)://…, "
                         + "file:ARCHIVE (.tar.gz, .tgz, .tar, .zip) or file:FOLDER")
    }
}
