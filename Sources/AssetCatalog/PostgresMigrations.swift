import Logging
import PostgresNIO

/// Schema changes for PostgreSQL, applied in order on start. Several
/// processes starting at once take turns under an advisory lock, so each
/// change runs once. Never edit a shipped migration: add a new one.
package enum PostgresMigrations {
    package struct Migration: Sendable {
        let identifier: String
        let statements: [String]

        package init(identifier: String, statements: [String]) {
            self.identifier = identifier
            self.statements = statements
        }
    }

    /// The advisory lock is two keys: this constant, which no other program
    /// uses on the database ("apmg"), and a hash of the schema, so that
    /// installations in different schemas do not wait on each other.
    static let lockClass: Int32 = 0x6170_6D67

    /// The catalog's tables: the same columns as in SQLite, with times as
    /// timestamptz and the record and event detail as JSONB.
    static let catalog: [Migration] = [
        Migration(identifier: "catalog v1: assets, versions, origins and history", statements: [
            """
            CREATE TABLE asset (
                id TEXT PRIMARY KEY,
                path TEXT NOT NULL UNIQUE,
                origin TEXT,
                version INTEGER NOT NULL DEFAULT 1,
                name TEXT NOT NULL,
                kind TEXT,
                mime TEXT,
                format TEXT,
                size BIGINT,
                sha256 TEXT,
                status TEXT NOT NULL CHECK (status IN ('processing', 'processed', 'errored')),
                error_reason TEXT,
                error_message TEXT,
                width INTEGER,
                height INTEGER,
                taken_at TEXT,
                attempts INTEGER NOT NULL DEFAULT 0,
                record JSONB NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL,
                processed_at TIMESTAMPTZ
            )
            """,
            "CREATE INDEX asset_by_sha256 ON asset (sha256)",
            "CREATE INDEX asset_by_status ON asset (status, error_reason)",
            "CREATE INDEX asset_by_kind ON asset (kind, mime)",
            "CREATE INDEX asset_by_taken_at ON asset (taken_at)",
            // The audit trail; a deleted asset's events stay. `job_id` holds a
            // job run's effect key: unique, so a job that runs again after a
            // crash finds its effect made and does not repeat it.
            """
            CREATE TABLE asset_event (
                seq BIGSERIAL PRIMARY KEY,
                asset_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                path TEXT NOT NULL,
                at TIMESTAMPTZ NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL
                    CHECK (action IN ('created', 'updated', 'versioned', 'refreshed', 'deleted', 'edited')),
                detail JSONB NOT NULL,
                job_id TEXT
            )
            """,
            "CREATE INDEX asset_event_by_asset ON asset_event (asset_id, seq)",
            "CREATE INDEX asset_event_by_path ON asset_event (path)",
            "CREATE UNIQUE INDEX asset_event_by_job ON asset_event (job_id) WHERE job_id IS NOT NULL",
        ]),
        // What `find` filters and sorts by, as SQLite's "v3: search" has it;
        // words as one tsvector of `column_word` lexemes (SearchFields). Rows
        // already there are indexed by the driver on connecting
        // (`search_indexed` false), since the words are folded in Swift.
        Migration(identifier: "catalog v2: search", statements: [
            """
            ALTER TABLE asset
                ADD COLUMN search_created BIGINT, ADD COLUMN search_updated BIGINT, ADD COLUMN search_taken BIGINT,
                ADD COLUMN duration DOUBLE PRECISION, ADD COLUMN orientation INTEGER,
                ADD COLUMN animated BOOLEAN NOT NULL DEFAULT FALSE,
                ADD COLUMN exif_make TEXT, ADD COLUMN exif_model TEXT, ADD COLUMN exif_lens TEXT, ADD COLUMN exif_iso INTEGER,
                ADD COLUMN exif_f_number DOUBLE PRECISION, ADD COLUMN exif_focal_length DOUBLE PRECISION,
                ADD COLUMN gps_lat DOUBLE PRECISION, ADD COLUMN gps_lon DOUBLE PRECISION,
                ADD COLUMN search_words TSVECTOR NOT NULL DEFAULT ''::TSVECTOR,
                ADD COLUMN search_indexed BOOLEAN NOT NULL DEFAULT FALSE
            """,
            "CREATE INDEX asset_by_created ON asset (search_created, id COLLATE \"C\")",
            "CREATE INDEX asset_by_updated ON asset (search_updated, id COLLATE \"C\")",
            "CREATE INDEX asset_by_taken ON asset (search_taken, id COLLATE \"C\")",
            "CREATE INDEX asset_by_size ON asset (size, id COLLATE \"C\")",
            "CREATE INDEX asset_by_name ON asset (name COLLATE \"C\", id COLLATE \"C\")",
            "CREATE INDEX asset_by_width ON asset (width, id COLLATE \"C\")",
            "CREATE INDEX asset_by_height ON asset (height, id COLLATE \"C\")",
            "CREATE INDEX asset_by_duration ON asset (duration, id COLLATE \"C\")",
            "CREATE INDEX asset_by_path_bytes ON asset (path COLLATE \"C\")",
            "CREATE INDEX asset_by_format ON asset (format)",
            "CREATE INDEX asset_by_camera ON asset (exif_make, exif_model)",
            "CREATE INDEX asset_by_model ON asset (exif_model)",
            "CREATE INDEX asset_by_lens ON asset (exif_lens)",
            "CREATE INDEX asset_by_iso ON asset (exif_iso)",
            "CREATE INDEX asset_by_gps ON asset (gps_lat)",
            "CREATE INDEX asset_by_words ON asset USING GIN (search_words)",
            "CREATE INDEX asset_unindexed ON asset (id) WHERE NOT search_indexed",
            "CREATE TABLE asset_keyword (asset_id TEXT NOT NULL, keyword TEXT NOT NULL, PRIMARY KEY (asset_id, keyword))",
            "CREATE INDEX asset_keyword_by_keyword ON asset_keyword (keyword, asset_id)",
            """
            CREATE TABLE asset_color (
                asset_id TEXT NOT NULL, l DOUBLE PRECISION NOT NULL, a DOUBLE PRECISION NOT NULL,
                b DOUBLE PRECISION NOT NULL, weight DOUBLE PRECISION NOT NULL)
            """,
            "CREATE INDEX asset_color_by_asset ON asset_color (asset_id)",
            "CREATE INDEX asset_color_by_lightness ON asset_color (l)",
            // GeoCircle.distance, the same haversine step by step.
            """
            CREATE FUNCTION ap_geo_distance(lat1 DOUBLE PRECISION, lon1 DOUBLE PRECISION, lat2 DOUBLE PRECISION, lon2 DOUBLE PRECISION)
            RETURNS DOUBLE PRECISION LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
                SELECT 2 * 6371000 * asin(least(1, sqrt(
                    sin((lat2 - lat1) * (pi() / 180) / 2) * sin((lat2 - lat1) * (pi() / 180) / 2)
                    + cos(lat1 * (pi() / 180)) * cos(lat2 * (pi() / 180))
                      * sin((lon2 - lon1) * (pi() / 180) / 2) * sin((lon2 - lon1) * (pi() / 180) / 2))))
            $$
            """,
            // LabColor.ciede2000, the same formulation step by step.
            """
            CREATE FUNCTION ap_ciede2000(l1 DOUBLE PRECISION, a1 DOUBLE PRECISION, b1 DOUBLE PRECISION,
                                         l2 DOUBLE PRECISION, a2 DOUBLE PRECISION, b2 DOUBLE PRECISION)
            RETURNS DOUBLE PRECISION LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
            DECLARE
                rpd DOUBLE PRECISION := pi() / 180;
                c1 DOUBLE PRECISION := sqrt(a1 * a1 + b1 * b1);
                c2 DOUBLE PRECISION := sqrt(a2 * a2 + b2 * b2);
                mean_c7 DOUBLE PRECISION;
                g DOUBLE PRECISION;
                a1p DOUBLE PRECISION; a2p DOUBLE PRECISION; c1p DOUBLE PRECISION; c2p DOUBLE PRECISION;
                h1 DOUBLE PRECISION := 0; h2 DOUBLE PRECISION := 0;
                dl DOUBLE PRECISION; dc DOUBLE PRECISION; dh DOUBLE PRECISION := 0; dbh DOUBLE PRECISION;
                mean_l DOUBLE PRECISION; mean_cp DOUBLE PRECISION; mean_h DOUBLE PRECISION;
                t DOUBLE PRECISION; dtheta DOUBLE PRECISION; mean_cp7 DOUBLE PRECISION; rc DOUBLE PRECISION;
                l_offset DOUBLE PRECISION; sl DOUBLE PRECISION; sc DOUBLE PRECISION; sh DOUBLE PRECISION; rt DOUBLE PRECISION;
                lt DOUBLE PRECISION; ct DOUBLE PRECISION; ht DOUBLE PRECISION;
            BEGIN
                mean_c7 := power((c1 + c2) / 2, 7);
                g := 0.5 * (1 - sqrt(mean_c7 / (mean_c7 + power(25, 7))));
                a1p := (1 + g) * a1; a2p := (1 + g) * a2;
                c1p := sqrt(a1p * a1p + b1 * b1); c2p := sqrt(a2p * a2p + b2 * b2);
                IF b1 <> 0 OR a1p <> 0 THEN h1 := atan2(b1, a1p) / rpd; IF h1 < 0 THEN h1 := h1 + 360; END IF; END IF;
                IF b2 <> 0 OR a2p <> 0 THEN h2 := atan2(b2, a2p) / rpd; IF h2 < 0 THEN h2 := h2 + 360; END IF; END IF;
                dl := l2 - l1; dc := c2p - c1p;
                IF c1p * c2p <> 0 THEN
                    dh := h2 - h1;
                    IF dh > 180 THEN dh := dh - 360; ELSIF dh < -180 THEN dh := dh + 360; END IF;
                END IF;
                dbh := 2 * sqrt(c1p * c2p) * sin(dh / 2 * rpd);
                mean_l := (l1 + l2) / 2; mean_cp := (c1p + c2p) / 2; mean_h := h1 + h2;
                IF c1p * c2p <> 0 THEN
                    IF abs(h1 - h2) <= 180 THEN mean_h := mean_h / 2;
                    ELSIF h1 + h2 < 360 THEN mean_h := (mean_h + 360) / 2;
                    ELSE mean_h := (mean_h - 360) / 2; END IF;
                END IF;
                t := 1 - 0.17 * cos((mean_h - 30) * rpd) + 0.24 * cos(2 * mean_h * rpd)
                    + 0.32 * cos((3 * mean_h + 6) * rpd) - 0.20 * cos((4 * mean_h - 63) * rpd);
                dtheta := 30 * exp(-power((mean_h - 275) / 25, 2));
                mean_cp7 := power(mean_cp, 7);
                rc := 2 * sqrt(mean_cp7 / (mean_cp7 + power(25, 7)));
                l_offset := (mean_l - 50) * (mean_l - 50);
                sl := 1 + 0.015 * l_offset / sqrt(20 + l_offset);
                sc := 1 + 0.045 * mean_cp; sh := 1 + 0.015 * mean_cp * t;
                rt := -sin(2 * dtheta * rpd) * rc;
                lt := dl / sl; ct := dc / sc; ht := dbh / sh;
                RETURN sqrt(greatest(0, lt * lt + ct * ct + ht * ht + rt * ct * ht));
            END
            $$
            """,
        ]),
        // Results come with nulls last in both directions. A btree scanned
        // backwards gives DESC NULLS FIRST, so a descending sort (the
        // default, newest first) needs indexes of its own, or PostgreSQL
        // sorts every match before it can return the first 50.
        Migration(identifier: "catalog v3: descending sort indexes", statements: [
            "CREATE INDEX asset_by_created_desc ON asset (search_created DESC NULLS LAST, id COLLATE \"C\" DESC)",
            "CREATE INDEX asset_by_updated_desc ON asset (search_updated DESC NULLS LAST, id COLLATE \"C\" DESC)",
            "CREATE INDEX asset_by_taken_desc ON asset (search_taken DESC NULLS LAST, id COLLATE \"C\" DESC)",
            "CREATE INDEX asset_by_size_desc ON asset (size DESC NULLS LAST, id COLLATE \"C\" DESC)",
            "CREATE INDEX asset_by_name_desc ON asset (name COLLATE \"C\" DESC NULLS LAST, id COLLATE \"C\" DESC)",
            "CREATE INDEX asset_by_width_desc ON asset (width DESC NULLS LAST, id COLLATE \"C\" DESC)",
            "CREATE INDEX asset_by_height_desc ON asset (height DESC NULLS LAST, id COLLATE \"C\" DESC)",
            "CREATE INDEX asset_by_duration_desc ON asset (duration DESC NULLS LAST, id COLLATE \"C\" DESC)",
        ]),
        // As SQLite's "v4": palette colours under a GiST index of 4-d points
        // (contrib's `cube`: L, a, b, weight) that a colour search's
        // neighbourhood box reads; `asset_facet`, counts per facet value
        // kept by statement triggers (writers hold the catalog write lock,
        // so the counter rows see no contention); positions as one index.
        // The extension is made once per database, under a lock of its own
        // since catalogs in other schemas may be migrating too, in a schema
        // of its own so that dropping a catalog's schema leaves it; the
        // catalog reaches it through two functions that PostgreSQL inlines.
        Migration(identifier: "catalog v4: colour boxes, facet counts, positions", statements: [
            "SELECT pg_advisory_xact_lock(\(extensionLockClass))",
            """
            DO $$
            DECLARE home TEXT;
            BEGIN
                SELECT n.nspname INTO home FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'cube';
                IF home IS NULL THEN
                    CREATE SCHEMA IF NOT EXISTS assetpipe_extensions;
                    CREATE EXTENSION cube SCHEMA assetpipe_extensions;
                    home := 'assetpipe_extensions';
                END IF;
                EXECUTE format('CREATE FUNCTION ap_lab_point(l FLOAT8, a FLOAT8, b FLOAT8, weight FLOAT8) RETURNS %1$I.cube '
                    'LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS ''SELECT %1$I.cube(ARRAY[l, a, b, weight])''', home);
                EXECUTE format('CREATE FUNCTION ap_lab_inside(point %1$I.cube, low FLOAT8[], high FLOAT8[]) RETURNS BOOLEAN '
                    'LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS ''SELECT point OPERATOR(%1$I.<@) %1$I.cube(low, high)''', home);
            END
            $$
            """,
            "CREATE INDEX asset_color_by_lab ON asset_color USING gist (ap_lab_point(l, a, b, weight))",
            "DROP INDEX asset_color_by_lightness",
            """
            CREATE TABLE asset_facet (
                facet TEXT NOT NULL,
                value TEXT NOT NULL,
                n BIGINT NOT NULL,
                PRIMARY KEY (facet, value))
            """,
            """
            INSERT INTO asset_facet (facet, value, n)
            SELECT f.facet, f.value, COUNT(*) FROM asset r CROSS JOIN LATERAL (VALUES \(facetRows)) AS f(facet, value)
            WHERE f.value IS NOT NULL GROUP BY 1, 2
            """,
            "INSERT INTO asset_facet (facet, value, n) SELECT 'keywords', keyword, COUNT(*) FROM asset_keyword GROUP BY keyword",
            // One function for the three events: each reads the transition
            // tables its event has; a change is +1 and -1 rows summed per value.
            """
            CREATE FUNCTION ap_count_facets() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO asset_facet (facet, value, n)
                    SELECT f.facet, f.value, COUNT(*) FROM added r CROSS JOIN LATERAL (VALUES \(facetRows)) AS f(facet, value)
                    WHERE f.value IS NOT NULL GROUP BY 1, 2
                    ON CONFLICT (facet, value) DO UPDATE SET n = asset_facet.n + EXCLUDED.n;
                ELSIF TG_OP = 'DELETE' THEN
                    UPDATE asset_facet t SET n = t.n - d.n
                    FROM (SELECT f.facet, f.value, COUNT(*) AS n FROM removed r CROSS JOIN LATERAL (VALUES \(facetRows)) AS f(facet, value)
                          WHERE f.value IS NOT NULL GROUP BY 1, 2) d
                    WHERE t.facet = d.facet AND t.value = d.value;
                ELSE
                    INSERT INTO asset_facet (facet, value, n)
                    SELECT facet, value, SUM(n) FROM (
                        SELECT f.facet, f.value, 1 AS n FROM added r CROSS JOIN LATERAL (VALUES \(facetRows)) AS f(facet, value)
                        UNION ALL
                        SELECT f.facet, f.value, -1 FROM removed r CROSS JOIN LATERAL (VALUES \(facetRows)) AS f(facet, value)
                    ) change WHERE value IS NOT NULL GROUP BY 1, 2 HAVING SUM(n) <> 0
                    ON CONFLICT (facet, value) DO UPDATE SET n = asset_facet.n + EXCLUDED.n;
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER asset_facet_added AFTER INSERT ON asset REFERENCING NEW TABLE AS added
            FOR EACH STATEMENT EXECUTE FUNCTION ap_count_facets()
            """,
            """
            CREATE TRIGGER asset_facet_removed AFTER DELETE ON asset REFERENCING OLD TABLE AS removed
            FOR EACH STATEMENT EXECUTE FUNCTION ap_count_facets()
            """,
            """
            CREATE TRIGGER asset_facet_changed AFTER UPDATE ON asset REFERENCING OLD TABLE AS removed NEW TABLE AS added
            FOR EACH STATEMENT EXECUTE FUNCTION ap_count_facets()
            """,
            """
            CREATE FUNCTION ap_count_keywords() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO asset_facet (facet, value, n) SELECT 'keywords', keyword, COUNT(*) FROM added GROUP BY keyword
                    ON CONFLICT (facet, value) DO UPDATE SET n = asset_facet.n + EXCLUDED.n;
                ELSE
                    UPDATE asset_facet t SET n = t.n - d.n FROM (SELECT keyword, COUNT(*) AS n FROM removed GROUP BY keyword) d
                    WHERE t.facet = 'keywords' AND t.value = d.keyword;
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER asset_facet_keyword_added AFTER INSERT ON asset_keyword REFERENCING NEW TABLE AS added
            FOR EACH STATEMENT EXECUTE FUNCTION ap_count_keywords()
            """,
            """
            CREATE TRIGGER asset_facet_keyword_removed AFTER DELETE ON asset_keyword REFERENCING OLD TABLE AS removed
            FOR EACH STATEMENT EXECUTE FUNCTION ap_count_keywords()
            """,
            "DROP INDEX asset_by_gps",
            "CREATE INDEX asset_by_position ON asset (gps_lat, gps_lon)",
        ]),
        // As SQLite's "v5": tags and categories as rows, counted in
        // `asset_facet`; collections; custom fields' definitions and values; `annotated`
        // in the history. The keywords of assets
        // already catalogued become their embedded tags; those assets are
        // indexed again on connect (`search_indexed` false), which writes
        // their tag rows and the words of the keyword search.
        Migration(identifier: "catalog v5: tags, categories, collections and custom fields", statements: [
            "CREATE TABLE collection (name TEXT PRIMARY KEY, query TEXT, created_at TIMESTAMPTZ NOT NULL)",
            "CREATE TABLE custom_field (key TEXT PRIMARY KEY, definition JSONB NOT NULL)",
            "CREATE TABLE asset_custom (asset_id TEXT NOT NULL, key TEXT NOT NULL, text_value TEXT, number_value DOUBLE PRECISION)",
            "CREATE INDEX asset_custom_by_asset ON asset_custom (asset_id, key)",
            "CREATE INDEX asset_custom_by_text ON asset_custom (key, text_value COLLATE \"C\")",
            "CREATE INDEX asset_custom_by_number ON asset_custom (key, number_value)",
            "ALTER TABLE asset_event DROP CONSTRAINT asset_event_action_check",
            """
            ALTER TABLE asset_event ADD CONSTRAINT asset_event_action_check
                CHECK (action IN ('created', 'updated', 'versioned', 'refreshed', 'deleted', 'edited', 'annotated'))
            """,
            """
            CREATE TABLE asset_label (
                asset_id TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('tags', 'categories', 'collections')),
                name TEXT NOT NULL,
                removed BOOLEAN NOT NULL DEFAULT FALSE,
                PRIMARY KEY (asset_id, kind, name))
            """,
            "CREATE INDEX asset_label_by_name ON asset_label (kind, name, removed, asset_id)",
            """
            CREATE FUNCTION ap_count_labels() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO asset_facet (facet, value, n) SELECT kind, name, COUNT(*) FROM added WHERE NOT removed GROUP BY 1, 2
                    ON CONFLICT (facet, value) DO UPDATE SET n = asset_facet.n + EXCLUDED.n;
                ELSE
                    UPDATE asset_facet t SET n = t.n - d.n
                    FROM (SELECT kind, name, COUNT(*) AS n FROM removed WHERE NOT removed GROUP BY 1, 2) d
                    WHERE t.facet = d.kind AND t.value = d.name;
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER asset_facet_label_added AFTER INSERT ON asset_label REFERENCING NEW TABLE AS added
            FOR EACH STATEMENT EXECUTE FUNCTION ap_count_labels()
            """,
            """
            CREATE TRIGGER asset_facet_label_removed AFTER DELETE ON asset_label REFERENCING OLD TABLE AS removed
            FOR EACH STATEMENT EXECUTE FUNCTION ap_count_labels()
            """,
            """
            UPDATE asset SET record = jsonb_set(record, '{tags}', (
                    SELECT jsonb_agg(jsonb_build_object('name', k.keyword, 'source', 'embedded', 'confidence', 1, 'removed', FALSE)
                                     ORDER BY k.keyword COLLATE "C")
                    FROM asset_keyword k WHERE k.asset_id = asset.id)),
                search_indexed = FALSE
            WHERE EXISTS (SELECT 1 FROM asset_keyword k WHERE k.asset_id = asset.id)
            """,
        ]),
        // As SQLite's "v6": the hidden state, faces and content alerts as
        // columns, filled from the stored records.
        Migration(identifier: "catalog v6: hidden state, faces and content alerts", statements: [
            "ALTER TABLE asset ADD COLUMN hidden BOOLEAN, ADD COLUMN faces INTEGER, "
                + SearchFields.alertColumns.map { "ADD COLUMN \($0) SMALLINT" }.joined(separator: ", "),
            """
            UPDATE asset SET record = record || '{"hidden": false, "hidden_by": "rule", "hidden_rule": false, "display": "original"}'::JSONB
            WHERE kind IN ('image', 'video') AND NOT record ? 'hidden'
            """,
            "UPDATE asset SET hidden = (record->>'hidden')::BOOLEAN, faces = (record->'faces'->>'count')::INTEGER, "
                + zip(SearchFields.alertColumns, AnalysisColumns.levelRank { "record->'content_alerts'->'\($0)'->>'level'" })
                    .map { "\($0) = \($1)" }.joined(separator: ", "),
            "CREATE INDEX asset_by_hidden ON asset (hidden) WHERE hidden",
            "CREATE INDEX asset_by_faces ON asset (faces) WHERE faces IS NOT NULL",
            "CREATE INDEX asset_by_alert_adult ON asset (alert_adult) WHERE alert_adult IS NOT NULL",
        ]),
        // As SQLite's "v7": named sources.
        Migration(identifier: "catalog v7: sources", statements: [
            "CREATE TABLE source (name TEXT PRIMARY KEY, location TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL)",
        ]),
        // As SQLite's "v8": an S3 source's own settings file, by path.
        Migration(identifier: "catalog v8: source settings", statements: [
            "ALTER TABLE source ADD COLUMN settings TEXT",
        ]),
    ]

    /// The lock under which the `cube` extension is made, once per database ("apcx").
    static let extensionLockClass: Int32 = 0x6170_6378

    /// Each counted facet's value as text, from a row `r` of `asset`
    /// (frozen with "catalog v4", whose triggers use it).
    static let facetRows = """
        ('format', r.format), ('kind', r.kind), ('mime', r.mime), ('status', r.status), ('error.reason', r.error_reason),
        ('exif.make', r.exif_make), ('exif.model', r.exif_model), ('exif.lens', r.exif_lens), ('orientation', r.orientation::TEXT),
        ('animated', CASE WHEN r.animated THEN 'true' ELSE 'false' END)
        """

    /// Applies the migrations `connection`'s database lacks, holding the
    /// advisory lock; creates `schema` first when one is given and missing.
    package static func apply(_ migrations: [Migration], inSchema schema: String?, on connection: PostgresConnection,
                      logger: Logger) async throws {
        let lockedSchema = schema ?? ""
        _ = try await connection.query("SELECT pg_advisory_lock(\(lockClass), hashtext(\(lockedSchema)))", logger: logger)
        do {
            if let schema {
                // Under the lock: IF NOT EXISTS alone still races another creator.
                _ = try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), logger: logger)
            }
            _ = try await connection.query("""
                CREATE TABLE IF NOT EXISTS assetpipe_migration (
                    identifier TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: logger)
            var applied = Set<String>()
            for try await identifier in try await connection.query("SELECT identifier FROM assetpipe_migration", logger: logger)
                .decode(String.self) {
                applied.insert(identifier)
            }
            for migration in migrations where !applied.contains(migration.identifier) {
                try await connection.withTransaction(logger: logger) { connection in
                    for statement in migration.statements {
                        _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    _ = try await connection.query(
                        "INSERT INTO assetpipe_migration (identifier) VALUES (\(migration.identifier))", logger: logger)
                }
                logger.info("applied migration", metadata: ["migration": "\(migration.identifier)"])
            }
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockClass), hashtext(\(lockedSchema)))", logger: logger)
            throw error
        }
        _ = try await connection.query("SELECT pg_advisory_unlock(\(lockClass), hashtext(\(lockedSchema)))", logger: logger)
    }
}
