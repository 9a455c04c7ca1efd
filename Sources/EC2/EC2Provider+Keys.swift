import Cloud
import Foundation

/// Users' SSH public keys as EC2 key pairs (named CLUSTER-USER, tagged with the cluster), and images.
extension EC2Provider {
    public func applyKeys(cluster: String, keys: [String: String]) async throws {
        var params = Params()
        params.filters([("tag:\(Tag.cluster)", [cluster])])
        let existing = Set(try await call("DescribeKeyPairs", params).items("keySet").compactMap { $0.string("keyName") })
        let wanted = Dictionary(uniqueKeysWithValues: keys.map { ("\(cluster)-\($0.key)", $0.value) })
        for (name, key) in wanted.sorted(by: { $0.key < $1.key }) where !existing.contains(name) {
            var imported = Params()
            imported.add("KeyName", name)
            imported.add("PublicKeyMaterial", Data(key.utf8).base64EncodedString())
            imported.tagSpecifications(["key-pair"], [(Tag.cluster, cluster)])
            _ = try await call("ImportKeyPair", imported, about: "key of \(name)")
        }
        for name in existing.subtracting(wanted.keys).sorted() {
            var removed = Params()
            removed.add("KeyName", name)
            _ = try await call("DeleteKeyPair", removed, about: "key \(name)")
        }
    }

    public func createImage(of instance: String, name: String) async throws -> String {
        var params = Params()
        params.add("InstanceId", instance)
        params.add("Name", name)
        params.add("NoReboot", "true")
        let response = try await call("CreateImage", params, about: "image of \(instance)")
        guard let id = response.string("imageId") else { throw CloudError("CreateImage answered without an image id") }
        return id
    }
}
