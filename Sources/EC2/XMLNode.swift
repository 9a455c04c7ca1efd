import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element: enough DOM to read EC2 responses. Immutable once parsed.
public final class XMLNode: Sendable {
    public let name: String
    public let text: String
    public let children: [XMLNode]

    init(name: String, text: String, children: [XMLNode]) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// The first child element with this name.
    public subscript(_ name: String) -> XMLNode? { children.first { $0.name == name } }

    /// The text of the child at a slash-separated path, e.g. "instanceState/name".
    public func string(_ path: String) -> String? {
        var node: XMLNode? = self
        for part in path.split(separator: "/") { node = node?[String(part)] }
        guard let node else { return nil }
        return node.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The `<item>` children of the child `name` (EC2's list shape).
    public func items(_ name: String) -> [XMLNode] { self[name]?.children.filter { $0.name == "item" } ?? [] }

    /// Every descendant element named `name`, depth first.
    public func all(_ name: String) -> [XMLNode] {
        children.flatMap { ($0.name == name ? [$0] : []) + $0.all(name) }
    }

    /// EC2 tags (`tagSet/item/key,value`) as a dictionary.
    public var tags: [String: String] {
        Dictionary(items("tagSet").compactMap { item in item.string("key").map { ($0, item.string("value") ?? "") } },
                   uniquingKeysWith: { a, _ in a })
    }

    public static func parse(_ data: Data) -> XMLNode? {
        let delegate = Builder()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        guard parser.parse() else { return nil }
        return delegate.root
    }

    /// Builds nodes bottom-up: an element becomes a node when it ends, with its text and children.
    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [(name: String, text: String, children: [XMLNode])] = []
        var root: XMLNode?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            stack.append((name, "", []))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !stack.isEmpty { stack[stack.count - 1].text += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            guard let open = stack.popLast() else { return }
            let node = XMLNode(name: open.name, text: open.text, children: open.children)
            if stack.isEmpty { root = node } else { stack[stack.count - 1].children.append(node) }
        }
    }
}
