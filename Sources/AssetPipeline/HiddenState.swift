/// Who decided whether an asset is hidden.
public enum HiddenSource: String, Codable, Sendable {
    /// The pipeline's `hidden` rule, from the content alerts.
    case rule
    /// A user (`annotate --hide`, `PATCH /v1/assets/{id}`); kept across refreshes.
    case user
}

/// Which rendition a viewer shows.
public enum DisplayChoice: String, Codable, Sendable {
    case original
    /// The block mosaic of the `pixelate` stage (none when the pipeline has no
    /// such stage: then nothing of the image is shown).
    case pixelated
}

/// A user's say on an asset's hidden state.
public enum HiddenChoice: String, Sendable, Equatable, CaseIterable {
    case hide, show
    /// Back to what the pipeline's rule says.
    case rule
}

extension AssetRecord {
    /// Images and videos: what has pixels a viewer might need hidden.
    public var isVisual: Bool { self.kind == .image || self.kind == .video }

    /// The hidden state of a new reading, whose `hiddenRule` the pipeline
    /// just set: a user's choice in `previous` wins over the rule; other
    /// kinds are hidden only when a user said so. Images and videos always
    /// get a `hiddenRule` (false when the pipeline has no `hidden` stage).
    public mutating func settleHidden(previous: AssetRecord?) {
        if let previous, previous.hiddenBy == .user, let hidden = previous.hidden {
            setHidden(hidden, by: .user)
        } else if isVisual {
            self.hiddenRule = self.hiddenRule ?? false
            setHidden(self.hiddenRule ?? false, by: .rule)
        } else {
            self.hidden = nil
            self.hiddenBy = nil
            self.display = nil
        }
    }

    /// Applies a user's choice; false when it changes nothing.
    public mutating func apply(_ choice: HiddenChoice) -> Bool {
        let before = (self.hidden, self.hiddenBy)
        switch choice {
        case .hide: setHidden(true, by: .user)
        case .show: setHidden(false, by: .user)
        case .rule:
            // A settled image or video has a rule's answer (false without the stage).
            if let rule = self.hiddenRule {
                setHidden(rule, by: .rule)
            } else {
                (self.hidden, self.hiddenBy, self.display) = (nil, nil, nil)
            }
        }
        return before != (self.hidden, self.hiddenBy)
    }

    mutating func setHidden(_ isHidden: Bool, by source: HiddenSource) {
        self.hidden = isHidden
        self.hiddenBy = source
        self.display = isHidden ? .pixelated : .original
    }
}
