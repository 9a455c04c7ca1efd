import Foundation
import Toolkit

/// The SHA-256 of a cookbook's contents: of the list of its files, sorted by path, each with the
/// SHA-256 of its bytes. Renaming, adding, removing or changing a file changes it; where the
/// folder is does not.
public enum ContentDigest {
    public static func of(_ folder: URL) throws -> String {
        let root = folder.standardizedFileURL.resolvingSymlinksInPath().path
        guard let walker = FileManager.default.enumerator(atPath: root) else { throw CookbookError("cannot read \(root)") }
        var lines: [String] = []
        while let relative = walker.nextObject() as? String {
            let path = root + "/" + relative
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            lines.append(relative + "\t" + (try Digest.sha256(of: URL(fileURLWithPath: path))))
        }
        let listing = lines.sorted().joined(separator: "\n")
        return Digest.sha256(Data(listing.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
