import AssetServer
import AssetUploads
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

/// Every route `openapi.json` documents answers with a documented status and
/// content type; and the document is the one the server serves.
@Suite struct OpenAPITests {
    static func document() throws -> [String: Any] {
        let url = URL(fileURLWithPath: Package.root + "/Sources/AssetServer/openapi.json")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// One documented operation, ready to call: the statuses it may answer
    /// with, and the content types of each.
    struct Call: Sendable {
        let method: String
        let uri: String
        /// The documented example body, with `{id}` filled in.
        let body: String?
        let responses: [String: Set<String>]
    }

    @Test func everyDocumentedRouteAnswersAsDocumented() async throws {
        let document = try Self.document()
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let fixture = try ServerTests.Fixture()
        let photo = try #require(fixture.ids["photo"])
        let job = try await fixture.queue.enqueue([.refresh(assetID: photo)])[0].id
        var calls: [Call] = []
        for (path, operations) in paths {
            for (method, value) in operations {
                let operation = try #require(value as? [String: Any])
                var uri = path.replacingOccurrences(of: "{name}", with: "thumb")
                uri = uri.replacingOccurrences(of: "{id}", with: path.hasPrefix("/v1/jobs") ? job : photo)
                let required = ((operation["parameters"] as? [[String: Any]]) ?? [])
                    .filter { $0["in"] as? String == "query" && $0["required"] as? Bool == true }
                    .map { "\($0["name"]!)=%2Ftest%2Fphoto" }
                if !required.isEmpty { uri += "?" + required.joined(separator: "&") }
                // An upload's body is the file itself: one small one, with its destination.
                if path == "/v1/uploads" { uri += "?destination=openapi/example.bin" }
                let responses = try #require(operation["responses"] as? [String: [String: Any]])
                let example = ((operation["requestBody"] as? [String: Any])?["content"] as? [String: Any])
                    .flatMap { ($0["application/json"] as? [String: Any])?["example"] }
                let body = try example.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self)
                    .replacingOccurrences(of: "{id}", with: photo) } ?? (path == "/v1/uploads" ? "example bytes" : nil)
                calls.append(Call(method: method.uppercased(), uri: uri, body: body, responses: responses.mapValues { response in
                    (response["content"] as? [String: Any]).map { Set($0.keys) } ?? []
                }))
            }
        }
        #expect(calls.count >= 10)
        let documentedPaths = Set(paths.keys)
        // POST first, so the job it queues exists too; then by path.
        let ordered = calls.sorted { ($0.method == "POST" ? 0 : 1, $0.uri) < ($1.method == "POST" ? 0 : 1, $1.uri) }
        let uploads = try UploadArea(folder: try Package.temporaryDirectory("openapi-uploads"))
        try await fixture.application { $0.insecure = true; $0.uploads = uploads }.test(.router) { client in
            for call in ordered {
                try await client.execute(uri: call.uri, method: HTTPRequest.Method(call.method)!,
                                         headers: call.body == nil ? [:] : [.contentType: call.uri.hasPrefix("/v1/uploads") ? "application/octet-stream" : "application/json"],
                                         body: call.body.map { ByteBuffer(string: $0) }) { response async throws in
                    let status = String(response.status.code)
                    #expect(call.responses[status] != nil, "\(call.method) \(call.uri) answered \(status), not documented")
                    if call.method == "POST" {
                        #expect((200..<300).contains(response.status.code), "the documented example of \(call.uri) was not accepted")
                    }
                    let documentedTypes = call.responses[status] ?? []
                    let type = response.headers[.contentType]?.split(separator: ";").first.map(String.init)
                    #expect(documentedTypes.isEmpty || type.map(documentedTypes.contains) == true,
                            "\(call.method) \(call.uri) sent \(type ?? "no type"), documented \(documentedTypes.sorted())")
                }
            }
            // A path that is no route answers as the description says.
            try await client.execute(uri: "/v2/not-a-route", method: .get) { response async throws in
                #expect(response.status == .notFound && response.headers[.contentType] == "application/json")
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect((body?["error"] as? [String: Any])?["code"] as? String == "no_route")
                #expect(response.headers[HTTPField.Name("X-Request-Id")!] != nil)
            }
            // What /openapi.json serves is this file.
            try await client.execute(uri: "/openapi.json", method: .get) { response async throws in
                let served = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect((served?["paths"] as? [String: Any]).map { Set($0.keys) } == documentedPaths)
            }
        }
    }

    @Test func everyRenderParameterIsDocumented() throws {
        let paths = try #require(try Self.document()["paths"] as? [String: [String: Any]])
        let render = try #require(paths["/v1/assets/{id}/render"]?["get"] as? [String: Any])
        let documented = Set(((render["parameters"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String })
        for name in ["w", "h", "dpr", "fit", "rect", "gravity", "rot", "flip", "blur", "px", "bg", "fm", "q", "txt", "txt-font",
                     "txt-size", "txt-color", "txt-align", "txt-pad", "mark", "mark-w", "mark-align", "mark-alpha", "mark-pad", "s"] {
            #expect(documented.contains(name), "\(name) is not documented")
        }
    }
}
