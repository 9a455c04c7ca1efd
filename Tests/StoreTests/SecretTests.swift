import Cloud
import Foundation
import Testing
@testable import Store

/// The cipher, the vault's files and modes, references in text, and the redactor.
@Suite struct SecretTests {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString.prefix(8))")

    @Test func theCipherRoundTripsAndRefusesAnotherNameOrKey() throws {
        let cipher = try SecretCipher(key: SecretCipher.newKey())
        let blob = try cipher.seal("hunter2 ünïcode", name: "db")
        #expect(try cipher.open(blob, name: "db") == "hunter2 ünïcode")
        #expect(!String(decoding: blob, as: UTF8.self).contains("hunter2"))
        #expect(try cipher.seal("hunter2", name: "db") != cipher.seal("hunter2", name: "db"))  // a fresh nonce each time
        #expect(throws: CloudError.self) { try cipher.open(blob, name: "other") }
        #expect(throws: CloudError.self) { try SecretCipher(key: SecretCipher.newKey()).open(blob, name: "db") }
        var tampered = blob
        tampered[tampered.count - 1] ^= 1
        #expect(throws: CloudError.self) { try cipher.open(tampered, name: "db") }
    }

    @Test func theVaultKeepsCiphertextAndKeyApartWithMode0600() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let vault = SecretVault(home: home)
        try vault.set("db_password", value: "s3cr3t-value")
        try vault.set("token", value: "abc")
        #expect(vault.names() == ["db_password", "token"])
        #expect(try vault.value("db_password") == "s3cr3t-value")
        func mode(_ url: URL) throws -> Int { try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as! Int }
        #expect(try mode(vault.keyFile) == 0o600)
        #expect(try mode(vault.folder) == 0o700)
        #expect(try mode(vault.folder.appendingPathComponent("db_password")) == 0o600)
        let onDisk = try Data(contentsOf: vault.folder.appendingPathComponent("db_password"))
        #expect(!String(decoding: onDisk, as: UTF8.self).contains("s3cr3t"))
        #expect(try vault.remove("token"))
        #expect(try !vault.remove("token"))
        #expect(vault.names() == ["db_password"])
        #expect(throws: CloudError.self) { try vault.value("token") }
        for bad in ["", "-x", "../etc", "a.b", "a b", "a;b", String(repeating: "a", count: 65)] {
            #expect(throws: NameError.self) { try vault.set(bad, value: "v") }
        }
    }

    @Test func referencesAreMaskedRevealedAndQuotedAsShellWords() throws {
        let text = "mysql -p" + SecretText.reference("db") + " -h x"
        #expect(SecretText.masked(text) == "mysql -p*** -h x")
        #expect(SecretText.reveal(text) { _ in "pw" } == "mysql -ppw -h x")
        // quoted before its value is known, quoted right once revealed
        let quoted = Shell.quote("a " + SecretText.reference("db"))
        #expect(SecretText.masked(quoted) == "'a '***")
        #expect(SecretText.reveal(quoted) { _ in "it's" } == #"'a ''it'\''s'"#)
        #expect(Shell.quote("plain 'x'") == #"'plain '\''x'\'''"#)
    }

    @Test func theRedactorMasksValuesAndReferencesAndTheStoreWritesOnlyThat() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        try SecretVault(home: home).set("db", value: "s3cr3t-value")
        let store = try TestState.store(home)
        #expect(store.redactor.redact("got s3cr3t-value and \(SecretText.reference("db"))") == "got *** and ***")
        #expect(try store.redactor.reveal("echo \(SecretText.reference("db"))") == "echo s3cr3t-value")
        #expect(throws: CloudError.self) { try store.redactor.reveal(SecretText.reference("missing")) }
        let event = try store.record(Event(actor: "t", cluster: "c", kind: "command.run", subject: "web-1",
                                           detail: "echo \(SecretText.reference("db"))", result: "failed: printed s3cr3t-value"))
        #expect(try store.event(event.id!)?.detail == "echo ***")
        #expect(try store.event(event.id!)?.result == "failed: printed ***")
        let id = try store.enqueueCommand(instance: "i-1", command: "echo \(SecretText.reference("db"))", timeout: 1)
        try store.completeCommand(id, result: CommandResult(code: 0, stdout: "s3cr3t-value\n", stderr: ""))
        #expect(try store.command(id)?.stdout == "***\n")
        #expect(try store.command(id)?.command.contains("s3cr3t") == false)
        #expect(CloudError("bad \(SecretText.reference("db"))").description == "bad ***")
    }
}
