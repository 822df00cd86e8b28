/// The default of the hidden state: an image or video is hidden when any of
/// the chosen content alert categories is at `level` or higher (imgix hides
/// adult or violent at Likely). Listed after the stages that fill
/// `content_alerts`; a user's choice overrides it (`annotate --hide`).
public struct HiddenStage: PipelineStage {
    public static let name = "hidden"
    public static let summary = "hides by default what content_alerts scores at the level set or higher"

    /// The categories of `content_alerts`.
    public enum Category: String, CaseIterable, Sendable {
        case adult, violent, medical, racy, spoof
    }

    public struct Settings: StageSettings {
        public var level: ContentAlertLevel
        public var categories: [Category]

        public init(section: SettingsSection) throws(PipelineDefinitionError) {
            level = try section.choice("level", default: .likely)
            categories = try section.choices("categories", default: [.adult, .violent])
        }
    }

    let settings: Settings

    public init(settings: Settings, pipeline: PipelineSettings) {
        self.settings = settings
    }

    public func run(_ context: inout AssetContext) throws(AssetError) {
        guard context.record.isVisual else { return }
        let alerts = context.record.output(of: ContentAlertsStage.self)
        context.record.hiddenRule = settings.categories.contains { category in
            guard let level = alerts?.alert(category)?.level else { return false }
            return level >= settings.level
        }
    }
}

extension ContentAlertsStage.Output {
    public func alert(_ category: HiddenStage.Category) -> ContentAlertsStage.Alert? {
        switch category {
        case .adult: adult
        case .violent: violent
        case .medical: medical
        case .racy: racy
        case .spoof: spoof
        }
    }
}
