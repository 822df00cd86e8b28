import Foundation

/// `openapi.json`, the OpenAPI 3.1 description of every route, as shipped
/// with the module and served at `/openapi.json`.
enum OpenAPIDocument {
    static let json: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
              let data = try? Data(contentsOf: url) else {
            return Data(#"{"error": "openapi.json is missing from the build"}"#.utf8)
        }
        return data
    }()
}
