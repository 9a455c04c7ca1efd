import Engine
import LuaKit

extension SpecError {
    /// The error as the recipe sees it: at the line where its field is written when the
    /// declaration's text shows it, else at the line of the declaration itself.
    func located(_ call: LuaCall, cluster: String) -> any Error {
        guard let caller = call.caller else { return PrimitiveError(message) }
        let written = caller.text.flatMap { FieldLines(text: $0, declarationLine: caller.line, cluster: cluster)?.line(of: path) }
        return LuaError(kind: .runtime, message: "\(caller.path):\(written ?? caller.line): \(message)")
    }
}
