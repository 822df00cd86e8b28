import AssetEdits
import Testing

/// The render vocabulary: what is accepted, what is refused with which
/// error, and the one canonical spelling requests that mean the same share.
@Suite struct RenderParametersTests {
    @Test func everyParameterIsReadIntoItsField() throws {
        let parameters = try RenderParameters(queryString:
            "w=400&h=300&dpr=2&fit=cover&rect=10,20,300,200&gravity=attention&rot=90&flip=hv&blur=1.5&px=8&bg=FFF"
            + "&fm=webp&q=70&txt=Hello%2C%20world&txt-font=sans%20bold&txt-size=24&txt-color=ffffff80&txt-align=top-left"
            + "&txt-pad=5&mark=3f2a&mark-w=120&mark-align=bottom&mark-alpha=50&mark-pad=0")
        #expect(parameters.width == 400 && parameters.height == 300 && parameters.devicePixelRatio == 2)
        #expect(parameters.fit == .cover && parameters.gravity == .attention)
        #expect(parameters.rect == RenderParameters.CropRect(x: 10, y: 20, width: 300, height: 200))
        #expect(parameters.rotation == 90 && parameters.flip == .both && parameters.blur == 1.5 && parameters.pixelate == 8)
        #expect(parameters.background == RenderParameters.HexColor(red: 255, green: 255, blue: 255))
        #expect(parameters.format == .webp && parameters.quality == 70)
        #expect(parameters.text == "Hello, world" && parameters.textFont == "sans bold" && parameters.textSize == 24)
        #expect(parameters.textColor == RenderParameters.HexColor(red: 255, green: 255, blue: 255, alpha: 128))
        #expect(parameters.textAlign == .topLeft && parameters.textPad == 5)
        #expect(parameters.mark == "3f2a" && parameters.markWidth == 120 && parameters.markAlign == .bottom)
        #expect(parameters.markAlpha == 50 && parameters.markPad == 0)
    }

    @Test func theCanonicalFormSortsNormalisesAndEncodes() throws {
        let parameters = try RenderParameters(queryString: "w=400&fit=COVER&bg=%23ABC&dpr=2.000&txt=a+b%26c&rot=0&s=ignored")
        #expect(parameters.canonicalQuery == "bg=aabbcc&dpr=2&fit=cover&txt=a%20b%26c&w=400")
        // The canonical form reads back to the same parameters.
        #expect(try RenderParameters(queryString: parameters.canonicalQuery) == parameters)
        #expect(try RenderParameters(queryString: "").canonicalQuery == "")
        #expect(try RenderParameters(queryString: "blur=0.30000001&txt-color=00000080").canonicalQuery
                    == "blur=0.3&txt-color=00000080")
    }

    @Test(arguments: [
        ("zoom=2", EditParameterError.Code.unknownParameter, "zoom"),
        ("w=400&w=500", .duplicateParameter, "w"),
        ("w=0", .invalidValue, "w"),
        ("w=8193", .invalidValue, "w"),
        ("w=4OO", .invalidValue, "w"),
        ("h=-1", .invalidValue, "h"),
        ("dpr=5", .invalidValue, "dpr"),
        ("dpr=nan", .invalidValue, "dpr"),
        ("fit=stretch", .invalidValue, "fit"),
        ("rect=1,2,3", .invalidValue, "rect"),
        ("rect=0,0,0,10", .invalidValue, "rect"),
        ("rect=-1,0,10,10", .invalidValue, "rect"),
        ("rot=45", .invalidValue, "rot"),
        ("flip=x", .invalidValue, "flip"),
        ("blur=0", .invalidValue, "blur"),
        ("px=1", .invalidValue, "px"),
        ("bg=red", .invalidValue, "bg"),
        ("bg=12345", .invalidValue, "bg"),
        ("fm=gif", .invalidValue, "fm"),
        ("q=101", .invalidValue, "q"),
        ("txt=", .invalidValue, "txt"),
        ("txt=a%07b", .invalidValue, "txt"),
        ("txt-align=middle", .invalidValue, "txt-align"),
        ("mark-alpha=101", .invalidValue, "mark-alpha"),
    ])
    func badParametersAreRefusedWithTheirName(query: String, code: EditParameterError.Code, param: String) {
        do {
            _ = try RenderParameters(queryString: query)
            Issue.record("\(query) was accepted")
        } catch {
            #expect(error.code == code, "\(query): \(error)")
            #expect(error.param == param)
            #expect(!error.message.isEmpty)
        }
    }

    @Test func anUnknownParameterErrorListsTheKnownOnes() {
        do {
            _ = try RenderParameters(queryString: "width=400")
            Issue.record("width was accepted")
        } catch {
            #expect(error.message.contains("w, ") && error.message.contains("txt-size"))
        }
    }

    @Test func aTextCanSpanLines() throws {
        #expect(try RenderParameters(queryString: "txt=one%0Atwo").text == "one\ntwo")
    }
}
