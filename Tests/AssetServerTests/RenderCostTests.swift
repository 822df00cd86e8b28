import AssetEdits
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The render route refuses, before it starts, renders whose cost the
/// estimate used to miss (found by scripts/fuzz-serve and
/// scripts/bench-serve-cost).
@Suite struct RenderCostTests {
    typealias Fixture = ServerTests.Fixture

    @Test func largeBlursAre422AtOnce() async throws {
        let fixture = try Fixture()
        let photo = try #require(fixture.ids["photo"])
        try await fixture.application().test(.router) { client in
            // About 14 s of one core in libvips, once costed as 5 s (under the limit).
            try await client.execute(uri: "/v1/assets/\(photo)/render?w=4000&h=3000&fit=fill&blur=40", method: .get) { response async throws in
                #expect(response.status == .unprocessableContent)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: [String: Any]]
                #expect(body?["error"]?["code"] as? String == "too_costly")
            }
        }
    }

    @Test func blurCostsMoreThanLinearlyPastTheVectorPath() throws {
        let renderer = Renderer()
        func blurCost(_ sigma: Int) throws -> Int {
            var limits = RenderLimits()
            limits.maxWork = .max
            return try Renderer(limits: limits).check(from: (4000, 3000), try RenderParameters(queryString: "w=4000&blur=\(sigma)")).blur
        }
        // Measured: 0.8 s at sigma 10, 14 s at sigma 40 (12 MP, one thread).
        #expect(try blurCost(40) >= 12 * blurCost(10))
        // Everyday blurs still pass.
        #expect(throws: Never.self) { _ = try renderer.check(from: (4000, 3000), try RenderParameters(queryString: "w=2000&blur=10")) }
    }
}
