import Cloud
import Foundation

/// Unpacking an archive given as a release is bounded: its entries are read and their sizes added
/// up before anything is written (a tar.gz of 300 MB of zeros is 300 KB), against the app's
/// `max_size` and the free space of the disk the cache is on; a zip's entries are counted again
/// while they are written, since a zip's header may lie. An entry that is a link (in a zip), a
/// device, or a path outside the release is refused by name. Nothing is written on refusal.
extension ArchiveSource {
    /// Bytes kept free on the cache's disk beyond what an archive needs.
    static let reserve: Int64 = 64 << 20

    /// Unpacks `archive` into `folder`; a refusal is one line naming the archive and the entry.
    func unpack(_ archive: URL, named name: String, into folder: URL) async throws {
        let kind = try Self.isZip(archive) ? "zip" : "tar"
        let result = try await Tool.run("python3", ["-c", Self.unpacker, kind, archive.path, folder.path, String(maxSize), String(Self.reserve)])
        guard result.code == 0 else {
            let why = result.stderr.trimmed.split(separator: "\n").last.map(String.init) ?? "exit \(result.code)"
            // 2: refused by a bound or an entry; else the archive could not be read
            let kind = result.code == 2 ? "" : " (tar.gz, tar or zip expected)"
            throw CloudError("app \(app): cannot unpack \(name)\(kind): \(why); nothing was deployed")
        }
    }

    /// "300.0 MB": sizes as people read them.
    static func shown(_ bytes: Int64) -> String {
        let units = ["bytes", "KB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", value, units[unit])
    }

    /// argv: kind archive folder limit reserve. Every failure is one line on stderr, never a
    /// traceback: exit 2 for a refusal, 3 for an archive that cannot be read.
    static let unpacker = #"""
        import gzip, os, stat, sys, tarfile, zipfile, zlib
        kind, archive, dest, limit, reserve = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        def shown(n):
            for unit in ("bytes", "KB", "MB", "GB"):
                if n < 1024 or unit == "GB": return f"{n} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
                n /= 1024
        def fail(message, code=2):
            print(message, file=sys.stderr); sys.exit(code)
        def inside(name, what="entry"):
            parts = name.replace("\\", "/").split("/")
            if name.startswith("/") or ".." in parts or "\0" in name: fail(f"{what} '{name}' points outside the release")
        def check(total):
            if total > limit: fail(f"it unpacks to {shown(total)}, more than max_size ({shown(limit)})")
            disk = os.statvfs(dest)
            free = disk.f_bavail * disk.f_frsize
            # the unpacked files and the release archive packed from them
            if 2 * total + reserve > free:
                fail(f"it unpacks to {shown(total)} and needs {shown(2 * total + reserve)} free; {shown(free)} is free where releases are kept")
        try:
            if kind == "zip":
                z = zipfile.ZipFile(archive)
                entries, total = z.infolist(), 0
                for e in entries:
                    inside(e.filename)
                    if stat.S_ISLNK(e.external_attr >> 16):
                        fail(f"entry '{e.filename}' is a symbolic link (a zip release may hold files and folders only)")
                    total += e.file_size
                check(total)
                written = 0
                for e in entries:
                    target = os.path.join(dest, e.filename)
                    if e.is_dir():
                        os.makedirs(target, exist_ok=True); continue
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with z.open(e) as src, open(target, "wb") as out:
                        while chunk := src.read(1 << 20):
                            written += len(chunk)
                            if written > total: fail(f"entry '{e.filename}' holds more than its header says")
                            out.write(chunk)
                    mode = (e.external_attr >> 16) & 0o777
                    if mode: os.chmod(target, mode)
            else:
                t = tarfile.open(archive)
                entries, total = t.getmembers(), 0
                for e in entries:
                    inside(e.name)
                    if not (e.isreg() or e.isdir() or e.issym() or e.islnk()):
                        fail(f"entry '{e.name}' is a device or a pipe, not a file, folder or link")
                    if e.issym():
                        if e.linkname.startswith("/"): fail(f"link '{e.name}' points outside the release ({e.linkname})")
                        inside(os.path.normpath(os.path.join(os.path.dirname(e.name), e.linkname)), f"link '{e.name}' to")
                    if e.islnk(): inside(e.linkname, f"hard link '{e.name}' to")
                    if e.isreg(): total += e.size
                check(total)
                trusted = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}
                t.extractall(dest, entries, **trusted)
        except SystemExit:
            raise
        except (tarfile.TarError, zipfile.BadZipFile, gzip.BadGzipFile, EOFError, zlib.error):
            fail("not a readable archive, or a truncated one", 3)
        except OSError as error:  # a full disk, a permission
            fail(f"{error.strerror or error}", 3)
        except Exception as error:
            fail(f"{error}".replace(dest + "/", "") or type(error).__name__, 3)
        """#
}
