// Generated from openapi.yaml by openapi-typescript: do not edit. Regenerate with `npm run openapi:types`
// (`npm run openapi` runs it too); test/contract/generated-types.test.ts fails while this file is stale.
/* eslint-disable */
export interface paths {
    "/health/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness: the process answers
         * @description Always 200 while the process answers HTTP, whatever the state of storage: restart the process only when this fails.
         */
        get: operations["getLiveness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness: 503 while recovering, on storage faults, with failures the log owes, or below the disk reserve
         * @description ready (200) when a commit would be accepted and made durable: recovery done, database and data directory writable, no unrecovered storage fault, no failure the log still owes, free space above the hard reserve. warn (still 200) names a failed canary, a failing background task or low disk; fail is a 503 whose checks say why.
         */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{sid}/commits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Commit one or more artifacts atomically
         * @description All or nothing: the 201 comes only after every byte is durable, read back with the right SHA-256 and the commit is `committed` in the log. Any failure is a problem and a `failed` entry (its id in `commitId`). `expect` adds names to the session's expected artifacts in the same transaction.
         */
        post: operations["commitArtifacts"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/commits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The log: every entry (commits and session changes), oldest first, cursor-paginated by seq
         * @description Each page holds up to `limit` entries in seq order; pass its `nextCursor` as `cursor` for the next page, until nextCursor is null. Filters: session, state, kind, and since (a seq, or an RFC 3339 time). An unknown filter or a malformed value is a 400 naming it.
         */
        get: operations["listLogEntries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/commits/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One log entry with its state transitions and, if it failed or was aborted, the error
         * @description The id is the one in a commit's Location header, or a problem's commitId for a write that failed. 404 when no entry has it.
         */
        get: operations["getLogEntry"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{sid}/artifacts/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * An artifact’s bytes (latest, ?version=N or ?at=seq), or its version history with ?versions
         * @description The bytes come with their media type, ETag (the quoted sha256), Repr-Digest and Content-Digest (RFC 9530), Artifact-Version and Last-Modified; Range and If-None-Match are honoured. With `?versions` the answer is instead the VersionHistory as JSON. Bytes known to be corrupt are never served: 500 object_corrupt. A large artifact is hashed while it is sent, its last chunk held back until the digest is checked: when it does not match, the connection closes before Content-Length bytes have arrived, so a client never receives wrong bytes as a complete response (the next read answers 500 object_corrupt).
         */
        get: operations["getArtifact"];
        /**
         * Upload one artifact as a raw streamed body
         * @description The body is streamed to disk and hashed while it arrives (never buffered whole); its size is counted against MAX_ARTIFACT_BYTES as it streams. Content-Type is kept as the artifact's media type; Content-Digest (sha-256) is checked. A commit of its own: 201 only once the bytes are durable, read back and logged.
         */
        put: operations["putArtifact"];
        post?: never;
        /**
         * Delete an artifact (admin): every version of it answers 410 artifact_deleted
         * @description One log entry of kind delete (who, when, how many versions); the versions stay in the history, marked removed, and the plain file goes. The name may be committed again later: version numbers continue. A name already deleted answers 410 artifact_deleted (a retry can take it as done), one never committed 404; 409 held under a hold, 409 session_deleted in a deleted session.
         */
        delete: operations["deleteArtifact"];
        options?: never;
        /**
         * An artifact’s headers without its bytes: ETag, digests, size, version, media type
         * @description The headers GET would send for the same request, without the body: Content-Length is the size of the artifact (or of the range), so a caller can check ETag, Repr-Digest and size before fetching. With ?versions, the headers of the VersionHistory.
         */
        head: operations["headArtifact"];
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{sid}/artifacts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The latest version of each artifact, or the session as of a commit (?at=seq)
         * @description One consistent listing: with ?at=seq, every artifact as it was once that commit was made, whatever came later. 404 when the session does not exist.
         */
        get: operations["listArtifacts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Re-read and hash every stored file; report missing, corrupt and orphaned files
         * @description A bare POST verifies everything and repairs plain files from intact objects; {repair: false} only reports.
         */
        post: operations["verifyStorage"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/gc": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run garbage collection now: delete objects no live version refers to, past the grace period
         * @description Joins a run already under way in this replica. Where replicas share a PostgreSQL log one collects at a time: while another replica collects, this request waits for that run to end and then runs, so the record answered is always of a whole run begun after the request (a replica whose timer fires meanwhile skips its run instead). An object is deleted only when no committed, unremoved version and no commit in flight refers to it and its upload and release are both older than GC_GRACE_SECONDS; ledger.db free pages are handed back in a bounded step.
         */
        post: operations["runGc"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{sid}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A session: state, deadline, how it closed, head, artifacts, expected and missing artifacts
         * @description A session past its deadline is never shown open: the service has closed it (closedBy deadline). `missing` lists the expected artifacts without a committed version. 404 when the session does not exist.
         */
        get: operations["getSession"];
        /**
         * Create or update a session: its expected artifacts (replaced), metadata, deadline, retention and hold
         * @description expectedArtifacts replaces the list; to add or remove names without a lost update, use POST …/expected. With If-Match (the session ETag) the update applies only if the session has not changed since (412 otherwise). retention and hold need the admin scope (403 otherwise). A deleted session takes no change: 409 session_deleted.
         */
        put: operations["putSession"];
        post?: never;
        /**
         * Delete a session (admin): it stays, state deleted; every version of every artifact answers 410
         * @description One log entry of kind delete (who, when, how many versions); the plain files go. The session record stays and takes no further change (409 session_deleted, also for a repeated DELETE). 409 held under a hold; 404 when the session does not exist.
         */
        delete: operations["deleteSession"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{sid}/expected": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add and remove expected artifacts atomically: concurrent changes never lose a name
         * @description Creates the session if needed. The same change twice is one change, so a retry is safe.
         */
        post: operations["changeExpectedArtifacts"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{sid}/complete": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Close a session: complete, or incomplete with the missing names; with {error}, the writer reports that it failed
         * @description Without a body (or {}), the session closes complete or incomplete; 404 when it does not exist. With {error}, it closes failed with that error, also when nothing was written to it yet. Closing a closed session again changes nothing.
         */
        post: operations["completeSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Sessions by id, cursor-paginated, optionally by state
         * @description Each page holds up to `limit` sessions in id order; pass its `nextCursor` as `cursor` for the next page, until nextCursor is null.
         */
        get: operations["listSessions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Service status: commit counts, last commit and failure, storage, sessions incomplete, failed and closed by deadline, scrub, canary
         * @description Counters kept in the same transactions as the data: the answer costs the same at any size of the log, and never holds up a commit.
         */
        get: operations["getStatus"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics: commits, latency, bytes, integrity problems, sessions, disk, scrub, canary, readiness
         * @description Prometheus text exposition, for scraping. Public unless METRICS_REQUIRE_TOKEN=true, then it needs a read token.
         */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ui/{file}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A file of the web view (scripts, styles); only the files of the ui folder, by exact name
         * @description The web view (open /ui/ in a browser) is plain HTML, CSS and ES modules that read this API; the files hold no data, so they need no token. Served with a strict Content-Security-Policy (no inline script) and Cache-Control: no-cache with an ETag.
         */
        get: operations["getWebViewFile"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The tail of the log as Server-Sent Events: one event per ended entry, id = its seq; Last-Event-ID resumes without a gap or a repeat
         * @description Server-Sent Events (`text/event-stream`), the tail of the log. `retry: 2000` comes first; then one event per log entry, in seq order,
         *     once the entry has ended (committed, failed or aborted):
         *
         *     ```
         *     id: <seq>
         *     data: <the entry as JSON: the CommitRecord that GET /v1/commits lists>
         *
         *     ```
         *
         *     There is no `event:` field: the record's `kind` and `state` say what it is. An entry is sent only once every entry of the stream with a smaller
         *     seq has ended too (a pending entry holds back the ones after it), so after `Last-Event-ID: N` every entry up to N has been delivered and
         *     the resumed stream starts at the first entry after N: no gap and no repeat. `Last-Event-ID` wins over `since`; without either the stream
         *     starts at the log's current end. `session` keeps one session's entries; the canary's entries show only when `session` names it.
         *     A `: heartbeat` comment comes every EVENTS_HEARTBEAT_MS (default 15000). At most MAX_EVENT_SUBSCRIBERS streams are open at once;
         *     beyond, 503 `too_many_subscribers` with Retry-After. Streams end when the service shuts down: reconnect with Last-Event-ID.
         */
        get: operations["streamEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * This document: the OpenAPI 3.1 contract the service serves (openapi.yaml in the repository is the same)
         * @description Generated from the route schemas the service validates with, so it cannot drift from what the service does. Never needs a token.
         */
        get: operations["getOpenApiDocument"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * ArtifactInput
         * @description one artifact: its name and exactly one of json, text or base64
         */
        ArtifactInput: {
            name: components["schemas"]["ArtifactName"];
            /** @description any JSON value; stored in RFC 8785 canonical form */
            json?: unknown;
            /** @description stored as UTF-8 */
            text?: string;
            /** @description stored as the decoded bytes */
            base64?: string;
            mediaType?: string;
            /** @description SHA-256 as 64 hex digits */
            sha256?: string;
        } & (unknown | unknown | unknown);
        /** ArtifactList */
        ArtifactList: {
            sessionId: string;
            headSeq: number;
            etag: string;
            atSeq: number | null;
            artifacts: components["schemas"]["ArtifactVersion"][];
        };
        /**
         * ArtifactName
         * @description an artifact name: 1–8 segments separated by `/`, each a letter or digit then up to 127 letters, digits, dots, underscores or hyphens
         * @example quality_metrics.json
         * @example notes/session_summary.txt
         */
        ArtifactName: string;
        /**
         * ArtifactVersion
         * @description one committed version of an artifact; `removed` only on a removed one (in a history, or a snapshot from before the removal)
         */
        ArtifactVersion: {
            name: string;
            version: number;
            sha256: string;
            size: number;
            mediaType: string;
            commitId: string;
            seq: number;
            /** Format: date-time */
            committedAt: string;
            removed?: components["schemas"]["VersionRemoval"];
        };
        /**
         * CloseChange
         * @description how the session closed
         */
        CloseChange: {
            state: "complete" | "incomplete" | "failed";
            closedBy: "writer" | "deadline";
            missing: string[];
            error: {
                type: string;
                message: string;
            } | null;
        };
        /** CommitArtifact */
        CommitArtifact: {
            name: string;
            version: number | null;
            sha256: string | null;
            size: number | null;
            mediaType: string | null;
        };
        /** CommitPage */
        CommitPage: {
            commits: components["schemas"]["CommitRecord"][];
            nextCursor: string | null;
        };
        /**
         * CommitRecord
         * @description a log entry: a commit of artifacts, or a change of the session (expect, close, session, delete, expire)
         */
        CommitRecord: {
            id: string;
            seq: number;
            sessionId: string;
            kind: components["schemas"]["EntryKind"];
            state: components["schemas"]["CommitState"];
            message: string | null;
            metadata: {
                [key: string]: unknown;
            } | null;
            /** Format: date-time */
            createdAt: string;
            finishedAt: string | null;
            artifacts: components["schemas"]["CommitArtifact"][];
            error: components["schemas"]["EntryError"] | null;
            expect: components["schemas"]["ExpectChange"] | null;
            close: components["schemas"]["CloseChange"] | null;
            session: components["schemas"]["SessionChange"] | null;
            delete: components["schemas"]["DeleteChange"] | null;
            expire: components["schemas"]["ExpireChange"] | null;
        };
        /** CommitRequest */
        CommitRequest: {
            artifacts: components["schemas"]["ArtifactInput"][];
            message?: string;
            /** @description free-form JSON object */
            metadata?: {
                [key: string]: unknown;
            };
            /** @description names added to the session's expected artifacts in the same transaction as the commit */
            expect?: components["schemas"]["ArtifactName"][];
        };
        /** CommitState */
        CommitState: "pending" | "committed" | "failed" | "aborted";
        /**
         * CommitWithTransitions
         * @description a log entry with every state it went through
         */
        CommitWithTransitions: {
            id: string;
            seq: number;
            sessionId: string;
            kind: components["schemas"]["EntryKind"];
            state: components["schemas"]["CommitState"];
            message: string | null;
            metadata: {
                [key: string]: unknown;
            } | null;
            /** Format: date-time */
            createdAt: string;
            finishedAt: string | null;
            artifacts: components["schemas"]["CommitArtifact"][];
            error: components["schemas"]["EntryError"] | null;
            expect: components["schemas"]["ExpectChange"] | null;
            close: components["schemas"]["CloseChange"] | null;
            session: components["schemas"]["SessionChange"] | null;
            delete: components["schemas"]["DeleteChange"] | null;
            expire: components["schemas"]["ExpireChange"] | null;
            transitions: components["schemas"]["Transition"][];
        };
        /**
         * CompleteRequest
         * @description empty to close the session; with error, the writer reports that it failed
         */
        CompleteRequest: {
            error?: components["schemas"]["WriterError"];
        };
        /**
         * DeleteChange
         * @description what a delete entry removed, and who asked
         */
        DeleteChange: {
            /** @description the name of the token that asked, or anonymous when auth is off */
            by: string;
            target: "artifact" | "session";
            name: string | null;
            /** @description how many versions it made unreadable (each marked removed by this entry) */
            removedVersions: number;
        };
        /**
         * EntryError
         * @description why a failed or aborted entry ended: a stable code, a detail, and the facts (step, errno, field…)
         */
        EntryError: {
            code: string;
            detail: string;
            facts?: {
                [key: string]: unknown;
            };
        };
        /**
         * EntryKind
         * @description artifacts: a commit of bytes; expect: the expected set changed; close: the session closed; session: created, deadline, metadata, retention or hold changed; delete: an artifact or the session deleted (admin); expire: versions removed by retention
         */
        EntryKind: "artifacts" | "expect" | "close" | "session" | "delete" | "expire";
        /**
         * ExpectChange
         * @description names added to and removed from the expected artifacts
         */
        ExpectChange: {
            add: string[];
            remove: string[];
        };
        /** ExpectedChangeRequest */
        ExpectedChangeRequest: {
            /** @description names to add to the expected artifacts */
            add?: components["schemas"]["ArtifactName"][];
            /** @description names to remove from the expected artifacts */
            remove?: components["schemas"]["ArtifactName"][];
        };
        /**
         * ExpireChange
         * @description the versions an expire entry removed, and the retention that said so
         */
        ExpireChange: {
            retention: components["schemas"]["Retention"];
            versions: components["schemas"]["VersionRef"][];
        };
        /** GcRecord */
        GcRecord: {
            /** Format: date-time */
            startedAt: string;
            /** Format: date-time */
            finishedAt: string;
            ok: boolean;
            /** @description objects whose references were checked */
            examinedObjects: number;
            /** @description objects no live version referred to, past the grace period, deleted */
            reclaimedObjects: number;
            reclaimedBytes: number;
            /** @description free ledger.db pages handed back to the filesystem */
            reclaimedDatabaseBytes: number;
            /** @description why the run stopped short (code: detail), when it did */
            error: string | null;
        };
        /** HealthCheck */
        HealthCheck: {
            status: components["schemas"]["HealthStatus"];
            componentType?: string;
            observedValue?: string | number;
            observedUnit?: string;
            output?: string;
            time: string;
        };
        /**
         * HealthReport
         * @description draft-inadarei-api-health-check (application/health+json)
         */
        HealthReport: {
            status: components["schemas"]["HealthStatus"];
            version: string;
            serviceId: string;
            description: string;
            checks: {
                [key: string]: components["schemas"]["HealthCheck"][];
            };
        };
        /** HealthStatus */
        HealthStatus: "pass" | "warn" | "fail";
        /**
         * Problem
         * @description RFC 9457 problem details; more members carry the facts of the error
         */
        Problem: {
            /** @description urn:artifact-ledger:problem:<code with hyphens> */
            type: string;
            title: string;
            status: number;
            detail: string;
            /** @description stable machine-readable error code */
            code: string;
            instance?: string;
            requestId?: string;
            /** @description the failed or aborted log entry recorded for this request */
            commitId?: string;
            /** @description the request field at fault, e.g. artifacts[0].json.score or Content-Type */
            field?: string;
        } & {
            [key: string]: unknown;
        };
        /** Reachability */
        Reachability: {
            ok: boolean;
            /** @description why the store did not answer (an errno or status code, or the detail) */
            error: string | null;
        };
        /**
         * Retention
         * @description how long versions are kept; a member left out takes the server default (RETENTION_KEEP_VERSIONS, RETENTION_DELETE_AFTER_DAYS; unset keeps all)
         */
        Retention: {
            /** @description only the newest N versions of each artifact stay; older ones expire */
            keepVersions?: number;
            /** @description versions committed more than D days ago expire, the latest included (as GitHub Actions artifact retention) */
            deleteAfterDays?: number;
        };
        /** Session */
        Session: {
            id: string;
            state: components["schemas"]["SessionState"];
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            /** @description when the session was closed */
            completedAt: string | null;
            /** @description when the service closes the session if its writer has not */
            deadline: string | null;
            /** @description who closed the session: its writer, or the service at the deadline */
            closedBy: "writer" | "deadline" | null;
            /** @description the failure the writer reported (state failed) */
            error: components["schemas"]["WriterError"] | null;
            headSeq: number;
            /** @description the session head ETag, for If-Match on commits */
            etag: string;
            metadata: {
                [key: string]: unknown;
            } | null;
            expectedArtifacts: string[];
            /** @description expected artifacts that have no committed version */
            missing: string[];
            artifacts: components["schemas"]["ArtifactVersion"][];
            /** @description the session's own retention; null takes the server defaults */
            retention: components["schemas"]["Retention"] | null;
            /** @description true while deletion and expiry are stopped */
            hold: boolean;
        };
        /**
         * SessionChange
         * @description what changed about the session itself; null (or absent) members did not change
         */
        SessionChange: {
            created: boolean;
            deadline: string | null;
            metadata: {
                [key: string]: unknown;
            } | null;
            retention?: components["schemas"]["Retention"];
            hold?: boolean;
        };
        /** SessionId */
        SessionId: string;
        /** SessionPage */
        SessionPage: {
            sessions: components["schemas"]["Session"][];
            nextCursor: string | null;
        };
        /** SessionRequest */
        SessionRequest: {
            /** @description names the session must produce before it is complete; replaces the list (POST …/expected adds and removes atomically) */
            expectedArtifacts?: components["schemas"]["ArtifactName"][];
            metadata?: {
                [key: string]: unknown;
            };
            /**
             * Format: date-time
             * @description RFC 3339; when it passes, the service closes the session if its writer has not (default: SESSION_DEADLINE_SECONDS after creation). Must lie in the future.
             */
            deadline?: string;
            retention?: components["schemas"]["Retention"];
            /** @description true stops deletion (409 held) and expiry of the session until set false (admin scope) */
            hold?: boolean;
        };
        /** SessionState */
        SessionState: "open" | "complete" | "incomplete" | "failed" | "deleted";
        /** StatusReport */
        StatusReport: {
            service: string;
            version: string;
            phase: string;
            /** Format: date-time */
            startedAt: string;
            uptimeSeconds: number;
            commits: {
                pending: number;
                committed: number;
                failed: number;
                aborted: number;
                total: number;
            };
            lastCommit: {
                id: string;
                seq: number;
                sessionId: string;
                at: string;
            } | null;
            lastFailure: {
                id: string;
                seq: number;
                sessionId: string;
                at: string;
                state: string;
                code: string;
                detail: string;
            } | null;
            storage: {
                objectCount: number;
                objectBytes: number;
                databaseBytes: number;
                freeBytes: number | null;
                totalBytes: number | null;
            };
            /** @description whether this replica reaches its stores now (as /health/ready checks database:writable and objectstore:reachable) */
            checks: {
                database: components["schemas"]["Reachability"];
                /** @description null when the objects are files under the data dir (checked as the data dir) */
                objectStore: components["schemas"]["Reachability"] | null;
            };
            sessions: {
                total: number;
                open: number;
                complete: number;
                incomplete: number;
                failed: number;
                deleted: number;
                /** @description sessions the service closed because their writer had not by the deadline */
                closedByDeadline: number;
                /** @description the 100 most recently changed incomplete sessions */
                incompleteIds: string[];
                /** @description the 100 most recently changed sessions whose writer reported a failure */
                failedIds: string[];
            };
            lastScrub: {
                startedAt: string;
                finishedAt: string;
                ok: boolean;
                checkedObjects: number;
                checkedPlainFiles: number;
                bytes: number;
                missing: number;
                corrupt: number;
                orphaned: number;
                repaired: number;
            } | null;
            scrubRunning: boolean;
            lastGc: components["schemas"]["GcRecord"] | null;
            /** @description what garbage collection has reclaimed since the ledger was created */
            gc: {
                runs: number;
                reclaimedObjects: number;
                reclaimedBytes: number;
                running: boolean;
            };
            /** @description history retention: entries of versions removed long ago, and the expiries that removed them, are pruned */
            history: {
                /** @description how long the history of a removed version stays after its removal (HISTORY_RETENTION_SECONDS; 0: all history is kept) */
                retentionSeconds: number;
                /** @description log entries pruned since the ledger was created; commit counts still include them */
                prunedEntries: number;
                /** @description a snapshot (?at=) before this seq answers 410 history_pruned; 0 when nothing was pruned */
                completeSnapshotsFrom: number;
            };
            canary: {
                at: string;
                ok: boolean;
                latencyMs: number;
                error: string | null;
            } | null;
            recovery: {
                abortedCommits: number;
                settledCommits: number;
                removedTemps: number;
                durationMs: number;
            } | null;
            unrecoveredFault: {
                at: string;
                code: string;
                detail: string;
            } | null;
            /** @description failed commits the log could not record yet; recorded once it takes writes again */
            owedFailures: number;
            /** @description background work whose last run failed, until it next succeeds */
            backgroundErrors: {
                /** @description the background work: scrub, gc, canary, deadlines, recovery, record-failure, cleanup, undo, fault-probe, reads, plain-view-flush */
                path: string;
                code: string;
                detail: string;
                /** Format: date-time */
                since: string;
                count: number;
            }[];
        };
        /** Transition */
        Transition: {
            from: components["schemas"]["CommitState"] | null;
            to: components["schemas"]["CommitState"];
            /** Format: date-time */
            at: string;
            reason: string | null;
        };
        /** VerifyFinding */
        VerifyFinding: {
            kind: "object" | "plain" | "temp";
            /** @description relative to DATA_DIR */
            path: string;
            sha256?: string;
            sessionId?: string;
            name?: string;
            actualSha256?: string;
            /** @enum {boolean} */
            repaired?: true;
        };
        /** VerifyReport */
        VerifyReport: {
            scope: {
                sessionId: string | null;
            };
            /** @description true when nothing was found missing, corrupt or orphaned (repaired findings count: run again to confirm) */
            ok: boolean;
            repair: boolean;
            checked: {
                objects: number;
                plainFiles: number;
                bytes: number;
            };
            missing: components["schemas"]["VerifyFinding"][];
            corrupt: components["schemas"]["VerifyFinding"][];
            orphaned: components["schemas"]["VerifyFinding"][];
            /** @description findings fixed by this run (also listed in missing/corrupt): plain files rewritten from intact objects */
            repaired: components["schemas"]["VerifyFinding"][];
            /** @description versions made unreadable by a deletion or by retention: not checked, and their objects, once garbage collection has reclaimed them, are not missing */
            removed: {
                deletedVersions: number;
                expiredVersions: number;
            };
            /** Format: date-time */
            startedAt: string;
            /** Format: date-time */
            finishedAt: string;
            durationMs: number;
        };
        /** VerifyRequest */
        VerifyRequest: {
            /** @description verify only this session */
            sessionId?: string;
            /** @description alias of sessionId */
            session?: string;
            /**
             * @description rewrite plain files that differ from an intact object; false only reports
             * @default true
             */
            repair: boolean;
            /**
             * @description also rebuild a corrupt or missing object from a plain copy that still hashes right
             * @default false
             */
            repairObjects: boolean;
        };
        /**
         * VersionHistory
         * @description every version of one artifact, oldest first, removed ones included and marked (GET …/artifacts/{name}?versions)
         */
        VersionHistory: {
            sessionId: string;
            name: string;
            versions: components["schemas"]["ArtifactVersion"][];
        };
        /** VersionRef */
        VersionRef: {
            name: string;
            version: number;
        };
        /**
         * VersionRemoval
         * @description how a version stopped being readable; reading it answers 410
         */
        VersionRemoval: {
            /** @description the delete or expire log entry that removed the version */
            seq: number;
            /** @enum {string} */
            kind: "delete" | "expire";
            /** Format: date-time */
            at: string;
        };
        /** WriterError */
        WriterError: {
            /** @description what kind of failure, e.g. the exception class */
            type: string;
            /** @description what went wrong, e.g. the exception text */
            message: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getLiveness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the process is alive */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/health+json": components["schemas"]["HealthReport"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description ready: pass, or warn (a canary or background failure, low disk) with the reason in its checks */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/health+json": components["schemas"]["HealthReport"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description not ready: the failing checks say why */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/health+json": components["schemas"]["HealthReport"];
                };
            };
        };
    };
    commitArtifacts: {
        parameters: {
            query?: never;
            header?: {
                "idempotency-key"?: string;
                /** @description the session's head ETag */
                "if-match"?: string;
            };
            path: {
                /**
                 * @description a session id: a letter or digit, then up to 127 letters, digits, dots, underscores or hyphens
                 * @example run-2026-11-25
                 */
                sid: components["schemas"]["SessionId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CommitRequest"];
            };
        };
        responses: {
            /** @description committed: the commit record, with each artifact's version, sha256 and size */
            201: {
                headers: {
                    /** @description the log entry of this commit, /v1/commits/{id} */
                    Location: string;
                    /** @description the session head as this commit left it (the quoted seq): what a follow-up If-Match carries */
                    ETag: string;
                    /** @description true when this is the stored answer to an earlier request with the same Idempotency-Key */
                    "Idempotent-Replayed"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommitRecord"];
                };
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the request body made no progress for BODY_IDLE_TIMEOUT_MS: the client stalled (an aborted entry is recorded) */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description conflict: an Idempotency-Key reused with another body, a name that would be a folder of another, a closed or deleted session (session_deleted), or a hold (held) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a precondition (If-Match, If-None-Match) does not hold */
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the body is larger than the configured limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the body is not JSON in UTF-8, or it has a Content-Encoding the service does not decode */
            415: {
                headers: {
                    /** @description `identity` when the body had a Content-Encoding the service does not decode */
                    "Accept-Encoding"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a value the contract refuses: an invalid session id or artifact name, a digest that does not match, a deadline already past */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description not ready (recovering, stopping), every upload slot or file handle is in use, or a duplicate Idempotency-Key waited too long for the attempt holding the key on another replica (idempotency_key_in_flight): retry after Retry-After */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the disk is full: nothing was stored */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listLogEntries: {
        parameters: {
            query?: {
                session?: string;
                state?: components["schemas"]["CommitState"];
                /** @description artifacts: a commit of bytes; expect: the expected set changed; close: the session closed; session: created, deadline, metadata, retention or hold changed; delete: an artifact or the session deleted (admin); expire: versions removed by retention */
                kind?: components["schemas"]["EntryKind"];
                /** @description a commit seq (commits after it) or an RFC 3339 time (commits created at or after it) */
                since?: string;
                /** @description nextCursor from the previous page */
                cursor?: string;
                /** @description entries per page (default 100) */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description a page of log entries; nextCursor is null on the last page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommitPage"];
                };
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getLogEntry: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the entry and its transitions */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommitWithTransitions"];
                };
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description no such session, artifact, version or commit */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getArtifact: {
        parameters: {
            query?: {
                /** @description a version number */
                version?: string;
                /** @description read as of this commit seq */
                at?: string;
                /** @description present: return the version history as JSON */
                versions?: string;
            };
            header?: {
                /** @description entity tags (or *): 304 Not Modified when one matches the artifact’s ETag */
                "if-none-match"?: string;
                /** @description one byte range, bytes=<first>-<last>, bytes=<first>- or bytes=-<suffix>: 206, or 416 when it starts past the end */
                range?: string;
                /** @description the ETag the Range is for: when the artifact’s differs, the whole artifact is sent (200) */
                "if-range"?: string;
            };
            path: {
                /**
                 * @description a session id: a letter or digit, then up to 127 letters, digits, dots, underscores or hyphens
                 * @example run-2026-11-25
                 */
                sid: components["schemas"]["SessionId"];
                /** @description an artifact name: 1–8 segments separated by `/`, each a letter or digit then up to 127 letters, digits, dots, underscores or hyphens. Its slashes may be sent as they are or as %2F. */
                name: components["schemas"]["ArtifactName"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the artifact bytes in their own media type (with ?versions: a VersionHistory as application/json) */
            200: {
                headers: {
                    /** @description the version's quoted sha256: send it as If-None-Match to revalidate (not with ?versions) */
                    ETag?: string;
                    /** @description RFC 9530: the SHA-256 of the whole artifact, whatever part is sent (not with ?versions) */
                    "Repr-Digest"?: string;
                    /** @description the version number (not with ?versions) */
                    "Artifact-Version"?: number;
                    /** @description when the version was committed (not with ?versions) */
                    "Last-Modified"?: string;
                    /** @description bytes (not with ?versions) */
                    "Accept-Ranges"?: string;
                    /** @description immutable for ?version=N, no-cache (revalidate by ETag) for the latest (not with ?versions) */
                    "Cache-Control"?: string;
                    /** @description the SHA-256 of the bytes sent (not with ?versions) */
                    "Content-Digest"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "*/*": unknown;
                };
            };
            /** @description the requested byte range (Content-Range) */
            206: {
                headers: {
                    /** @description the version's quoted sha256: send it as If-None-Match to revalidate */
                    ETag: string;
                    /** @description RFC 9530: the SHA-256 of the whole artifact, whatever part is sent */
                    "Repr-Digest": string;
                    /** @description the version number */
                    "Artifact-Version": number;
                    /** @description when the version was committed */
                    "Last-Modified": string;
                    /** @description bytes */
                    "Accept-Ranges": string;
                    /** @description immutable for ?version=N, no-cache (revalidate by ETag) for the latest */
                    "Cache-Control": string;
                    /** @description bytes <first>-<last>/<size> */
                    "Content-Range": string;
                    /** @description the SHA-256 of the part sent, when it was verified before sending (small artifacts) */
                    "Content-Digest"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "*/*": unknown;
                };
            };
            /** @description Not Modified: If-None-Match matched the ETag; no body */
            304: {
                headers: {
                    /** @description the version's quoted sha256: send it as If-None-Match to revalidate */
                    ETag: string;
                    /** @description RFC 9530: the SHA-256 of the whole artifact, whatever part is sent */
                    "Repr-Digest": string;
                    /** @description the version number */
                    "Artifact-Version": number;
                    /** @description when the version was committed */
                    "Last-Modified": string;
                    /** @description bytes */
                    "Accept-Ranges": string;
                    /** @description immutable for ?version=N, no-cache (revalidate by ETag) for the latest */
                    "Cache-Control": string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description no such session, artifact, version or commit */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description gone: the artifact was deleted (artifact_deleted) or the version expired by retention (version_expired); its history stays in the log until HISTORY_RETENTION_SECONDS after the removal, and a version or snapshot (?at=) older than what was pruned since answers history_pruned */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the range lies outside the artifact */
            416: {
                headers: {
                    /** @description `bytes *\/<size>`: the size of the whole artifact */
                    "Content-Range": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a value the contract refuses: an invalid session id or artifact name, a digest that does not match, a deadline already past */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    putArtifact: {
        parameters: {
            query?: never;
            header?: {
                "content-type"?: string;
                /** @description RFC 9530, e.g. sha-256=:<base64>: */
                "content-digest"?: string;
                "if-none-match"?: string;
                "if-match"?: string;
                "idempotency-key"?: string;
            };
            path: {
                /**
                 * @description a session id: a letter or digit, then up to 127 letters, digits, dots, underscores or hyphens
                 * @example run-2026-11-25
                 */
                sid: components["schemas"]["SessionId"];
                /** @description an artifact name: 1–8 segments separated by `/`, each a letter or digit then up to 127 letters, digits, dots, underscores or hyphens. Its slashes may be sent as they are or as %2F. */
                name: components["schemas"]["ArtifactName"];
            };
            cookie?: never;
        };
        /** @description the raw bytes of the artifact */
        requestBody: {
            content: {
                "*/*": unknown;
            };
        };
        responses: {
            /** @description committed: the commit record of this one artifact */
            201: {
                headers: {
                    /** @description the log entry of this commit, /v1/commits/{id} */
                    Location: string;
                    /** @description the session head as this commit left it (the quoted seq): what a follow-up If-Match carries */
                    ETag: string;
                    /** @description true when this is the stored answer to an earlier request with the same Idempotency-Key */
                    "Idempotent-Replayed"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommitRecord"];
                };
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the request body made no progress for BODY_IDLE_TIMEOUT_MS: the client stalled (an aborted entry is recorded) */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description conflict: an Idempotency-Key reused with another body, a name that would be a folder of another, a closed or deleted session (session_deleted), or a hold (held) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a precondition (If-Match, If-None-Match) does not hold */
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the body is larger than the configured limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the body is not JSON in UTF-8, or it has a Content-Encoding the service does not decode */
            415: {
                headers: {
                    /** @description `identity` when the body had a Content-Encoding the service does not decode */
                    "Accept-Encoding"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a value the contract refuses: an invalid session id or artifact name, a digest that does not match, a deadline already past */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description not ready (recovering, stopping), every upload slot or file handle is in use, or a duplicate Idempotency-Key waited too long for the attempt holding the key on another replica (idempotency_key_in_flight): retry after Retry-After */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the disk is full: nothing was stored */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteArtifact: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description a session id: a letter or digit, then up to 127 letters, digits, dots, underscores or hyphens
                 * @example run-2026-11-25
                 */
                sid: components["schemas"]["SessionId"];
                /** @description an artifact name: 1–8 segments separated by `/`, each a letter or digit then up to 127 letters, digits, dots, underscores or hyphens. Its slashes may be sent as they are or as %2F. */
                name: components["schemas"]["ArtifactName"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the delete entry */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommitRecord"];
                };
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description no such session, artifact, version or commit */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description conflict: an Idempotency-Key reused with another body, a name that would be a folder of another, a closed or deleted session (session_deleted), or a hold (held) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description gone: the artifact was deleted (artifact_deleted) or the version expired by retention (version_expired); its history stays in the log until HISTORY_RETENTION_SECONDS after the removal, and a version or snapshot (?at=) older than what was pruned since answers history_pruned */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a value the contract refuses: an invalid session id or artifact name, a digest that does not match, a deadline already past */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description not ready (recovering, stopping), every upload slot or file handle is in use, or a duplicate Idempotency-Key waited too long for the attempt holding the key on another replica (idempotency_key_in_flight): retry after Retry-After */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    headArtifact: {
        parameters: {
            query?: {
                /** @description a version number */
                version?: string;
                /** @description read as of this commit seq */
                at?: string;
                /** @description present: return the version history as JSON */
                versions?: string;
            };
            header?: {
                /** @description entity tags (or *): 304 Not Modified when one matches the artifact’s ETag */
                "if-none-match"?: string;
                /** @description one byte range, bytes=<first>-<last>, bytes=<first>- or bytes=-<suffix>: 206, or 416 when it starts past the end */
                range?: string;
                /** @description the ETag the Range is for: when the artifact’s differs, the whole artifact is sent (200) */
                "if-range"?: string;
            };
            path: {
                /**
                 * @description a session id: a letter or digit, then up to 127 letters, digits, dots, underscores or hyphens
                 * @example run-2026-11-25
                 */
                sid: components["schemas"]["SessionId"];
                /** @description an artifact name: 1–8 segments separated by `/`, each a letter or digit then up to 127 letters, digits, dots, underscores or hyphens. Its slashes may be sent as they are or as %2F. */
                name: components["schemas"]["ArtifactName"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the headers GET would send (Content-Length is the artifact size); no body */
            200: {
                headers: {
                    /** @description the version's quoted sha256: send it as If-None-Match to revalidate (not with ?versions) */
                    ETag?: string;
                    /** @description RFC 9530: the SHA-256 of the whole artifact, whatever part is sent (not with ?versions) */
                    "Repr-Digest"?: string;
                    /** @description the version number (not with ?versions) */
                    "Artifact-Version"?: number;
                    /** @description when the version was committed (not with ?versions) */
                    "Last-Modified"?: string;
                    /** @description bytes (not with ?versions) */
                    "Accept-Ranges"?: string;
                    /** @description immutable for ?version=N, no-cache (revalidate by ETag) for the latest (not with ?versions) */
                    "Cache-Control"?: string;
                    /** @description the SHA-256 of the artifact (not with ?versions) */
                    "Content-Digest"?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description the headers of the requested range; no body */
            206: {
                headers: {
                    /** @description the version's quoted sha256: send it as If-None-Match to revalidate */
                    ETag: string;
                    /** @description RFC 9530: the SHA-256 of the whole artifact, whatever part is sent */
                    "Repr-Digest": string;
                    /** @description the version number */
                    "Artifact-Version": number;
                    /** @description when the version was committed */
                    "Last-Modified": string;
                    /** @description bytes */
                    "Accept-Ranges": string;
                    /** @description immutable for ?version=N, no-cache (revalidate by ETag) for the latest */
                    "Cache-Control": string;
                    /** @description bytes <first>-<last>/<size> */
                    "Content-Range": string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not Modified: If-None-Match matched the ETag; no body */
            304: {
                headers: {
                    /** @description the version's quoted sha256: send it as If-None-Match to revalidate */
                    ETag: string;
                    /** @description RFC 9530: the SHA-256 of the whole artifact, whatever part is sent */
                    "Repr-Digest": string;
                    /** @description the version number */
                    "Artifact-Version": number;
                    /** @description when the version was committed */
                    "Last-Modified": string;
                    /** @description bytes */
                    "Accept-Ranges": string;
                    /** @description immutable for ?version=N, no-cache (revalidate by ETag) for the latest */
                    "Cache-Control": string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description no such session, artifact, version or commit */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description gone: the artifact was deleted (artifact_deleted) or the version expired by retention (version_expired); its history stays in the log until HISTORY_RETENTION_SECONDS after the removal, and a version or snapshot (?at=) older than what was pruned since answers history_pruned */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the range lies outside the artifact */
            416: {
                headers: {
                    /** @description `bytes *\/<size>`: the size of the whole artifact */
                    "Content-Range": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a value the contract refuses: an invalid session id or artifact name, a digest that does not match, a deadline already past */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listArtifacts: {
        parameters: {
            query?: {
                /** @description read as of this commit seq */
                at?: string;
            };
            header?: never;
            path: {
                /**
                 * @description a session id: a letter or digit, then up to 127 letters, digits, dots, underscores or hyphens
                 * @example run-2026-11-25
                 */
                sid: components["schemas"]["SessionId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the artifacts, with the session head ETag */
            200: {
                headers: {
                    /** @description the session head ETag (the quoted head seq): send it as If-Match to change the session only if nothing changed since */
                    ETag: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ArtifactList"];
                };
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description no such session, artifact, version or commit */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description gone: the artifact was deleted (artifact_deleted) or the version expired by retention (version_expired); its history stays in the log until HISTORY_RETENTION_SECONDS after the removal, and a version or snapshot (?at=) older than what was pruned since answers history_pruned */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a value the contract refuses: an invalid session id or artifact name, a digest that does not match, a deadline already past */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    verifyStorage: {
        parameters: {
            query?: {
                /** @description verify only this session */
                session?: string;
                repair?: boolean;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["VerifyRequest"];
            };
        };
        responses: {
            /** @description what was checked and found */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VerifyReport"];
                };
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description no such session, artifact, version or commit */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the request body made no progress for BODY_IDLE_TIMEOUT_MS: the client stalled (an aborted entry is recorded) */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the body is larger than the configured limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the body is not JSON in UTF-8, or it has a Content-Encoding the service does not decode */
            415: {
                headers: {
                    /** @description `identity` when the body had a Content-Encoding the service does not decode */
                    "Accept-Encoding"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a value the contract refuses: an invalid session id or artifact name, a digest that does not match, a deadline already past */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    runGc: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description what the run examined and reclaimed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GcRecord"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the disk is full: nothing was stored */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description a session id: a letter or digit, then up to 127 letters, digits, dots, underscores or hyphens
                 * @example run-2026-11-25
                 */
                sid: components["schemas"]["SessionId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the session, with its ETag */
            200: {
                headers: {
                    /** @description the session head ETag (the quoted head seq): send it as If-Match to change the session only if nothing changed since */
                    ETag: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description no such session, artifact, version or commit */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a value the contract refuses: an invalid session id or artifact name, a digest that does not match, a deadline already past */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    putSession: {
        parameters: {
            query?: never;
            header?: {
                /** @description the session ETag: 412 when the session has changed since */
                "if-match"?: string;
            };
            path: {
                /**
                 * @description a session id: a letter or digit, then up to 127 letters, digits, dots, underscores or hyphens
                 * @example run-2026-11-25
                 */
                sid: components["schemas"]["SessionId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SessionRequest"];
            };
        };
        responses: {
            /** @description updated */
            200: {
                headers: {
                    /** @description the session head ETag (the quoted head seq): send it as If-Match to change the session only if nothing changed since */
                    ETag: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            /** @description created */
            201: {
                headers: {
                    /** @description the session head ETag (the quoted head seq): send it as If-Match to change the session only if nothing changed since */
                    ETag: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the request body made no progress for BODY_IDLE_TIMEOUT_MS: the client stalled (an aborted entry is recorded) */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description conflict: an Idempotency-Key reused with another body, a name that would be a folder of another, a closed or deleted session (session_deleted), or a hold (held) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a precondition (If-Match, If-None-Match) does not hold */
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the body is larger than the configured limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the body is not JSON in UTF-8, or it has a Content-Encoding the service does not decode */
            415: {
                headers: {
                    /** @description `identity` when the body had a Content-Encoding the service does not decode */
                    "Accept-Encoding"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a value the contract refuses: an invalid session id or artifact name, a digest that does not match, a deadline already past */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description not ready (recovering, stopping), every upload slot or file handle is in use, or a duplicate Idempotency-Key waited too long for the attempt holding the key on another replica (idempotency_key_in_flight): retry after Retry-After */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description a session id: a letter or digit, then up to 127 letters, digits, dots, underscores or hyphens
                 * @example run-2026-11-25
                 */
                sid: components["schemas"]["SessionId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the delete entry */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommitRecord"];
                };
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description no such session, artifact, version or commit */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description conflict: an Idempotency-Key reused with another body, a name that would be a folder of another, a closed or deleted session (session_deleted), or a hold (held) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a value the contract refuses: an invalid session id or artifact name, a digest that does not match, a deadline already past */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description not ready (recovering, stopping), every upload slot or file handle is in use, or a duplicate Idempotency-Key waited too long for the attempt holding the key on another replica (idempotency_key_in_flight): retry after Retry-After */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    changeExpectedArtifacts: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description a session id: a letter or digit, then up to 127 letters, digits, dots, underscores or hyphens
                 * @example run-2026-11-25
                 */
                sid: components["schemas"]["SessionId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ExpectedChangeRequest"];
            };
        };
        responses: {
            /** @description the session after the change */
            200: {
                headers: {
                    /** @description the session head ETag (the quoted head seq): send it as If-Match to change the session only if nothing changed since */
                    ETag: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the request body made no progress for BODY_IDLE_TIMEOUT_MS: the client stalled (an aborted entry is recorded) */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description conflict: an Idempotency-Key reused with another body, a name that would be a folder of another, a closed or deleted session (session_deleted), or a hold (held) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the body is larger than the configured limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the body is not JSON in UTF-8, or it has a Content-Encoding the service does not decode */
            415: {
                headers: {
                    /** @description `identity` when the body had a Content-Encoding the service does not decode */
                    "Accept-Encoding"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a value the contract refuses: an invalid session id or artifact name, a digest that does not match, a deadline already past */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description not ready (recovering, stopping), every upload slot or file handle is in use, or a duplicate Idempotency-Key waited too long for the attempt holding the key on another replica (idempotency_key_in_flight): retry after Retry-After */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    completeSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description a session id: a letter or digit, then up to 127 letters, digits, dots, underscores or hyphens
                 * @example run-2026-11-25
                 */
                sid: components["schemas"]["SessionId"];
            };
            cookie?: never;
        };
        /** @description empty to close the session; with error, the writer reports that it failed */
        requestBody?: {
            content: {
                "application/json": components["schemas"]["CompleteRequest"];
            };
        };
        responses: {
            /** @description the closed session */
            200: {
                headers: {
                    /** @description the session head ETag (the quoted head seq): send it as If-Match to change the session only if nothing changed since */
                    ETag: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description no such session, artifact, version or commit */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the request body made no progress for BODY_IDLE_TIMEOUT_MS: the client stalled (an aborted entry is recorded) */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description conflict: an Idempotency-Key reused with another body, a name that would be a folder of another, a closed or deleted session (session_deleted), or a hold (held) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the body is larger than the configured limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the body is not JSON in UTF-8, or it has a Content-Encoding the service does not decode */
            415: {
                headers: {
                    /** @description `identity` when the body had a Content-Encoding the service does not decode */
                    "Accept-Encoding"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a value the contract refuses: an invalid session id or artifact name, a digest that does not match, a deadline already past */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description not ready (recovering, stopping), every upload slot or file handle is in use, or a duplicate Idempotency-Key waited too long for the attempt holding the key on another replica (idempotency_key_in_flight): retry after Retry-After */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listSessions: {
        parameters: {
            query?: {
                state?: components["schemas"]["SessionState"];
                cursor?: string;
                /** @description entries per page (default 100) */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description a page of sessions; nextCursor is null on the last page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionPage"];
                };
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getStatus: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the status report */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StatusReport"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text exposition format 0.0.4 */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getWebViewFile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description a file of the web view, e.g. app.js */
                file: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the file; revalidate with If-None-Match (Cache-Control: no-cache), so an upgrade is seen at once */
            200: {
                headers: {
                    /** @description no inline script or style; only this origin */
                    "Content-Security-Policy": string;
                    /** @description the file's digest */
                    ETag: string;
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                    "text/css": string;
                    "text/javascript": string;
                    "image/svg+xml": string;
                };
            };
            /** @description unchanged since the ETag sent: no body */
            304: {
                headers: {
                    /** @description the file's digest */
                    ETag: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description no such session, artifact, version or commit */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    streamEvents: {
        parameters: {
            query?: {
                /**
                 * @description a session id: a letter or digit, then up to 127 letters, digits, dots, underscores or hyphens
                 * @example run-2026-11-25
                 */
                session?: components["schemas"]["SessionId"];
                /** @description a seq: start after it (for clients that cannot set Last-Event-ID, which wins over it) */
                since?: string;
            };
            header?: {
                /** @description the id (seq) of the last event received: the stream resumes at the first entry after it */
                "last-event-id"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the event stream; it stays open until the client leaves or the service shuts down */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description the request is malformed: a body, query or header the contract refuses (the problem names the field) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description tokens are configured and the request has none, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description the token lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description not ready (recovering, stopping), every upload slot or file handle is in use, or a duplicate Idempotency-Key waited too long for the attempt holding the key on another replica (idempotency_key_in_flight): retry after Retry-After */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getOpenApiDocument: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the OpenAPI 3.1 document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description a fault of the service or its storage; a write is then recorded as a failed entry */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
