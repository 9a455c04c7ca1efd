import Foundation
import Testing
@testable import EC2

/// Vectors of AWS's published Signature Version 4 test suite (credentials AKIDEXAMPLE,
/// 2015-08-30T12:36:00Z, us-east-1, service "service").
@Suite struct SigV4Tests {
    let signer = SigV4(credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                       region: "us-east-1", service: "service")
    let date = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z

    func signature(_ method: String, query: [(String, String)] = [], headers: [String: String] = [:], body: String = "") -> String {
        let signed = signer.sign(method: method, path: "/", query: query, headers: headers.merging(["Host": "example.amazonaws.com"]) { $1 },
                                 body: Data(body.utf8), date: date)
        return String(signed["Authorization"]!.split(separator: "=").last!)
    }

    @Test func getVanilla() {
        #expect(signature("GET") == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func getVanillaQueryOrderKeyCase() {
        #expect(signature("GET", query: [("Param2", "value2"), ("Param1", "value1")])
            == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    @Test func postXWWWFormURLEncoded() {
        #expect(signature("POST", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: "Param1=value1")
            == "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")
    }

    @Test func authorizationHeaderNamesScopeAndSignedHeaders() {
        let signed = signer.sign(method: "GET", path: "/", query: [], headers: ["Host": "example.amazonaws.com"], body: Data(), date: date)
        #expect(signed["X-Amz-Date"] == "20150830T123600Z")
        #expect(signed["Authorization"]!.hasPrefix(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature="))
    }

    @Test func percentEncodingIsRFC3986() {
        #expect(SigV4.encode("a b/c~d_e.f-g*h") == "a%20b%2Fc~d_e.f-g%2Ah")
        #expect(SigV4.encode("é") == "%C3%A9")
    }
}
