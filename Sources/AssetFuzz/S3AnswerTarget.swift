import AssetObjectStore

/// What an S3 server answers (listings, errors, multipart results): bytes
/// from a server on the network, read by our own XML reader.
///
/// Properties, for every input:
/// - parsing never traps (deep nesting, bad entities, invalid UTF-8, cut
///   short anywhere);
/// - an accepted document is at most `S3XML.maxDepth` deep, and written back
///   as XML it parses to the same tree;
/// - an accepted listing has a non-empty key and a size of zero or more for
///   every object, and a continuation token exactly when it is truncated.
/// Verdict: accepted when the XML is read, refused when it is malformed.
public struct S3AnswerTarget: FuzzTarget {
    public let name = "s3-answer"

    public init() {}

    static let listing = """
        <?xml version="1.0" encoding="UTF-8"?>
        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>photos</Name><Prefix></Prefix>\
        <KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>\
        <Contents><Key>a%20b/c.jpg</Key><LastModified>2026-12-07T12:00:00.000Z</LastModified><ETag>&quot;9e107d9d372bb6826bd81d3542a419d6&quot;</ETag>\
        <Size>1024</Size><StorageClass>STANDARD</StorageClass></Contents>\
        <Contents><Key>d.png</Key><Size>0</Size><ETag>"x-2"</ETag></Contents>\
        <NextContinuationToken>1/AbC+dEf==</NextContinuationToken></ListBucketResult>
        """

    public var seeds: [[UInt8]] {
        [Self.listing,
         #"<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>1</RequestId></Error>"#,
         "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2Fk</UploadId></InitiateMultipartUploadResult>",
         "<CompleteMultipartUploadResult><ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag></CompleteMultipartUploadResult>",
         "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", "<a><![CDATA[x<y]]><!-- c --></a>",
         "<a>&#x1F600;&amp;&lt;&#38;</a>", String(repeating: "<a>", count: 40) + String(repeating: "</a>", count: 40),
         "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", "<a b='1' c=\"2\"/>", ""].map { Array($0.utf8) }
    }

    public var dictionary: [[UInt8]] {
        ["<", ">", "</", "/>", "<?", "?>", "<!--", "-->", "<![CDATA[", "]]>", "&amp;", "&#x", "&#", ";", "\"", "'", "=",
         "<Contents>", "</Contents>", "<Key>", "</Key>", "<Size>", "</Size>", "<IsTruncated>true</IsTruncated>",
         "<NextContinuationToken>", "<EncodingType>url</EncodingType>", "%", "%ZZ", "-1", "\u{0}", "\u{ff}"].map { Array($0.utf8) }
    }

    public func generate(_ random: inout FuzzRandom) -> [UInt8] {
        var xml = random.chance(0.5) ? #"<?xml version="1.0" encoding="UTF-8"?>"# : ""
        xml += "<ListBucketResult>"
        if random.chance(0.5) { xml += "<EncodingType>url</EncodingType>" }
        for _ in 0..<random.below(5) {
            let key = random.pick(["a.jpg", "a%20b", "%E2%82%AC", "x&amp;y", "", "%ZZ", "&#x41;", "<![CDATA[c]]>"], else: "k")
            let size = random.pick(["0", "17", "-1", "x", "99999999999999999999"], else: "1")
            xml += "<Contents><Key>\(key)</Key><Size>\(size)</Size><ETag>&quot;e&quot;</ETag></Contents>"
        }
        xml += "<IsTruncated>\(random.pick(["true", "false"], else: "false"))</IsTruncated>"
        if random.chance(0.5) { xml += "<NextContinuationToken>\(random.pick(["t", ""], else: "t"))</NextContinuationToken>" }
        xml += random.chance(0.9) ? "</ListBucketResult>" : "</Other>"
        return Array(xml.utf8)
    }

    public func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict {
        let document: S3XMLElement
        do {
            document = try S3XML.parse(input)
        } catch {
            return .refused
        }
        guard document.depth <= S3XML.maxDepth else { throw PropertyFailure("a document \(document.depth) deep accepted") }
        do {
            let again = try S3XML.parse(Array(document.xml.utf8))
            guard again == document else { throw PropertyFailure("written back and read again, the tree changed") }
        } catch let failure as PropertyFailure {
            throw failure
        } catch {
            throw PropertyFailure("written back, the tree is refused: \(error)")
        }
        if let page = try? S3ListPage.parse(input) {
            for object in page.objects {
                guard !object.key.isEmpty, object.size >= 0 else { throw PropertyFailure("an object \(object.key) of \(object.size) bytes accepted") }
            }
            if let token = page.continuationToken, token.isEmpty { throw PropertyFailure("an empty continuation token") }
        }
        return .accepted
    }
}
