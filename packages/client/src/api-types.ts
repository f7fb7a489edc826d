/**
 * Generated from the gateway's OpenAPI document by scripts/gen-client.ts (openapi-typescript).
 * Do not edit: run `npm run gen:client`. A test fails when this file and the document differ.
 */
export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: 200 when the process is up */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status?: "ok";
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: 200 when the job store, blob store and queue answer, 503 otherwise */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            status?: string;
                            checks?: {
                                events?: boolean;
                                blobs?: boolean;
                                queue?: boolean;
                            };
                        };
                    };
                };
                /** @description Default Response */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            status?: string;
                            checks?: {
                                events?: boolean;
                                blobs?: boolean;
                                queue?: boolean;
                            };
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the caller's jobs, newest first
         * @description Filter by tag, status and creation time (from inclusive, to exclusive); `q` searches: a job id finds that job, anything else is matched against the tags (case-insensitive). Pages of `limit`; pass the returned `cursor` for the next page.
         */
        get: {
            parameters: {
                query?: {
                    /** @description admin only: one owner's jobs */
                    owner?: string;
                    tag?: string;
                    q?: string;
                    status?: "created" | "queued" | "processing" | "completed" | "failed";
                    from?: string;
                    to?: string;
                    limit?: number;
                    cursor?: string;
                    /** @description API key, for links */
                    token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items?: {
                                id?: string;
                                owner?: string;
                                /** @enum {string} */
                                status?: "created" | "queued" | "processing" | "completed" | "failed";
                                progress?: {
                                    done?: number;
                                    total?: number;
                                };
                                /** @description the first 100 sources; GET /api/jobs/:id/sources pages through all */
                                sources?: {
                                    sourceId?: string;
                                    name?: string;
                                    label?: string;
                                    status?: string;
                                    width?: number;
                                    height?: number;
                                    bytes?: number;
                                    format?: string;
                                    attempts?: number;
                                    failure?: string;
                                    variants?: number;
                                    /** @description the recorded variant indices, as a hex bitmap (bit i = variant i) */
                                    written?: string;
                                    /** @description the extension of the variant files */
                                    ext?: string;
                                    /** @description outputs the source makes (variants, and originals of datasets) */
                                    outputs?: number;
                                    split?: string;
                                }[];
                                /** @description the cursor of the next page of sources, if any */
                                sourcesCursor?: string;
                                sourceCount?: number;
                                /** @description over all sources: uploaded, started (events), settled, failed, variants */
                                counts?: {
                                    uploaded?: number;
                                    started?: number;
                                    settled?: number;
                                    failed?: number;
                                    variants?: number;
                                };
                                tags?: string[];
                                variantsPerSource?: number;
                                pipeline?: {
                                    preset?: string;
                                    seed?: number;
                                    custom?: boolean;
                                };
                                createdAt?: string;
                                updatedAt?: string;
                                expiresAt?: string;
                                version?: number;
                                failure?: string;
                                archive?: {
                                    bytes?: number;
                                    count?: number;
                                };
                                /** @description labelled datasets only */
                                dataset?: {
                                    format?: string;
                                    export?: string;
                                    minVisibility?: number;
                                    augmentSplits?: string;
                                    includeOriginals?: boolean;
                                    split?: string;
                                    categories?: string[];
                                    /** @description objects per category in the sources (before) and in the outputs so far (after) */
                                    counts?: {
                                        before?: number[];
                                        after?: number[];
                                        dropped?: number;
                                    };
                                    /** @description items onLabelError=skip left out (listed in the manifest) */
                                    skipped?: number;
                                };
                                /** @description the webhook, its status and every delivery attempt (the secret only in the creation answer) */
                                webhook?: {
                                    url?: string;
                                    secret?: string;
                                    /** @enum {string} */
                                    status?: "waiting" | "pending" | "delivered" | "failed";
                                    attempts?: {
                                        attempt?: number;
                                        at?: string;
                                        ok?: boolean;
                                        status?: number;
                                        error?: string;
                                    }[];
                                };
                            }[];
                            cursor?: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Create a job
         * @description multipart/form-data: one or more `file` parts (images, or one dataset .zip whose folders are class labels) and the fields variants, tags, preset or pipeline, seed → 202 with the queued job. application/json: `{ files: [{ name, bytes, label? }], variants, tags, preset | pipeline, seed }` → 201 with the job and one signed PUT URL per file, for direct-to-storage uploads that the gateway does not carry.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description one dataset .zip the client will PUT to the returned URL; its images (class folders or coco/yolo/voc labels) become the sources once it is read */
                        dataset?: {
                            name: string;
                            /** @description 1 to 2147483648 (MAX_DATASET_BYTES) */
                            bytes: number;
                        };
                        /**
                         * @description dataset zip layout: auto (default), coco, yolo, voc or folders
                         * @enum {string}
                         */
                        format?: "auto" | "coco" | "yolo" | "voc" | "folders";
                        /**
                         * @description archive layout (default: the input's)
                         * @enum {string}
                         */
                        export?: "coco" | "yolo" | "voc" | "folders";
                        /** @description train,valid,test percentages, e.g. 80,10,10 (seeded, stratified by class) */
                        split?: string;
                        /** @description fail (default: a 422 naming file and line) or skip (listed in the manifest) */
                        onLabelError?: string;
                        /** @description drop objects with less of their area left in an output (0 to 1, default 0.25) */
                        minVisibility?: number | string;
                        /** @description train (default) or all: which splits get augmented */
                        augmentSplits?: string;
                        /** @description true: each original goes beside its variants */
                        includeOriginals?: boolean | string;
                        /** @description the files the client will PUT to the returned URLs */
                        files?: {
                            name: string;
                            /** @description 1 to 26214400 (MAX_FILE_BYTES) */
                            bytes: number;
                            /** @description class label (the folder in the zip) */
                            label?: string;
                        }[];
                        /** @description http(s) URL POSTed a signed JSON document when the job completes or fails (retried for 24 h); the answer carries its secret once */
                        webhookUrl?: string;
                        /** @description variants per source, 1 to 100 (MAX_VARIANTS); default 20 */
                        variants?: number | string;
                        /** @description up to 20 tags, comma-separated or a list; each 1-40 letters, digits, spaces, _ . - */
                        tags?: string | string[];
                        /** @description a named pipeline (GET /api/presets); default delta-classic */
                        preset?: string;
                        /** @description a pipeline spec (JSON; schema at GET /api/presets) */
                        pipeline?: string | Record<string, never>;
                        /** @description integer 0 to 4294967295, for reproducible variants */
                        seed?: number | string;
                    };
                    "multipart/form-data": {
                        /** @description images (type sniffed from the bytes), or one dataset .zip whose folders are class labels */
                        file?: string[];
                        /** @description http(s) URL POSTed a signed JSON document when the job completes or fails (retried for 24 h); the answer carries its secret once */
                        webhookUrl?: string;
                        /** @description variants per source, 1 to 100 (MAX_VARIANTS); default 20 */
                        variants?: number | string;
                        /** @description up to 20 tags, comma-separated or a list; each 1-40 letters, digits, spaces, _ . - */
                        tags?: string | string[];
                        /** @description a named pipeline (GET /api/presets); default delta-classic */
                        preset?: string;
                        /** @description a pipeline spec (JSON; schema at GET /api/presets) */
                        pipeline?: string | Record<string, never>;
                        /** @description integer 0 to 4294967295, for reproducible variants */
                        seed?: number | string;
                        /**
                         * @description dataset zip layout: auto (default), coco, yolo, voc or folders
                         * @enum {string}
                         */
                        format?: "auto" | "coco" | "yolo" | "voc" | "folders";
                        /**
                         * @description archive layout (default: the input's)
                         * @enum {string}
                         */
                        export?: "coco" | "yolo" | "voc" | "folders";
                        /** @description train,valid,test percentages, e.g. 80,10,10 (seeded, stratified by class) */
                        split?: string;
                        /** @description fail (default: a 422 naming file and line) or skip (listed in the manifest) */
                        onLabelError?: string;
                        /** @description drop objects with less of their area left in an output (0 to 1, default 0.25) */
                        minVisibility?: string;
                        /** @description train (default) or all: which splits get augmented */
                        augmentSplits?: string;
                        /** @description true: each original goes beside its variants */
                        includeOriginals?: string;
                    };
                };
            };
            responses: {
                /** @description the job, waiting for its uploads */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id?: string;
                            owner?: string;
                            /** @enum {string} */
                            status?: "created" | "queued" | "processing" | "completed" | "failed";
                            progress?: {
                                done?: number;
                                total?: number;
                            };
                            /** @description the first 100 sources; GET /api/jobs/:id/sources pages through all */
                            sources?: {
                                sourceId?: string;
                                name?: string;
                                label?: string;
                                status?: string;
                                width?: number;
                                height?: number;
                                bytes?: number;
                                format?: string;
                                attempts?: number;
                                failure?: string;
                                variants?: number;
                                /** @description the recorded variant indices, as a hex bitmap (bit i = variant i) */
                                written?: string;
                                /** @description the extension of the variant files */
                                ext?: string;
                                /** @description outputs the source makes (variants, and originals of datasets) */
                                outputs?: number;
                                split?: string;
                            }[];
                            /** @description the cursor of the next page of sources, if any */
                            sourcesCursor?: string;
                            sourceCount?: number;
                            /** @description over all sources: uploaded, started (events), settled, failed, variants */
                            counts?: {
                                uploaded?: number;
                                started?: number;
                                settled?: number;
                                failed?: number;
                                variants?: number;
                            };
                            tags?: string[];
                            variantsPerSource?: number;
                            pipeline?: {
                                preset?: string;
                                seed?: number;
                                custom?: boolean;
                            };
                            createdAt?: string;
                            updatedAt?: string;
                            expiresAt?: string;
                            version?: number;
                            failure?: string;
                            archive?: {
                                bytes?: number;
                                count?: number;
                            };
                            /** @description labelled datasets only */
                            dataset?: {
                                format?: string;
                                export?: string;
                                minVisibility?: number;
                                augmentSplits?: string;
                                includeOriginals?: boolean;
                                split?: string;
                                categories?: string[];
                                /** @description objects per category in the sources (before) and in the outputs so far (after) */
                                counts?: {
                                    before?: number[];
                                    after?: number[];
                                    dropped?: number;
                                };
                                /** @description items onLabelError=skip left out (listed in the manifest) */
                                skipped?: number;
                            };
                            /** @description the webhook, its status and every delivery attempt (the secret only in the creation answer) */
                            webhook?: {
                                url?: string;
                                secret?: string;
                                /** @enum {string} */
                                status?: "waiting" | "pending" | "delivered" | "failed";
                                attempts?: {
                                    attempt?: number;
                                    at?: string;
                                    ok?: boolean;
                                    status?: number;
                                    error?: string;
                                }[];
                            };
                            uploads?: {
                                sourceId?: string;
                                name?: string;
                                label?: string;
                                method?: string;
                                url?: string;
                                /** @description never past the upload deadline */
                                expiresInSeconds?: number;
                                /** @description the declared size: the PUT must carry exactly these bytes */
                                bytes?: number;
                            }[];
                            /**
                             * Format: date-time
                             * @description sources not uploaded by then fail (UPLOAD_DEADLINE_SECONDS after creation); later PUTs get a 410
                             */
                            uploadDeadline?: string;
                        };
                    };
                };
                /** @description the job, queued */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id?: string;
                            owner?: string;
                            /** @enum {string} */
                            status?: "created" | "queued" | "processing" | "completed" | "failed";
                            progress?: {
                                done?: number;
                                total?: number;
                            };
                            /** @description the first 100 sources; GET /api/jobs/:id/sources pages through all */
                            sources?: {
                                sourceId?: string;
                                name?: string;
                                label?: string;
                                status?: string;
                                width?: number;
                                height?: number;
                                bytes?: number;
                                format?: string;
                                attempts?: number;
                                failure?: string;
                                variants?: number;
                                /** @description the recorded variant indices, as a hex bitmap (bit i = variant i) */
                                written?: string;
                                /** @description the extension of the variant files */
                                ext?: string;
                                /** @description outputs the source makes (variants, and originals of datasets) */
                                outputs?: number;
                                split?: string;
                            }[];
                            /** @description the cursor of the next page of sources, if any */
                            sourcesCursor?: string;
                            sourceCount?: number;
                            /** @description over all sources: uploaded, started (events), settled, failed, variants */
                            counts?: {
                                uploaded?: number;
                                started?: number;
                                settled?: number;
                                failed?: number;
                                variants?: number;
                            };
                            tags?: string[];
                            variantsPerSource?: number;
                            pipeline?: {
                                preset?: string;
                                seed?: number;
                                custom?: boolean;
                            };
                            createdAt?: string;
                            updatedAt?: string;
                            expiresAt?: string;
                            version?: number;
                            failure?: string;
                            archive?: {
                                bytes?: number;
                                count?: number;
                            };
                            /** @description labelled datasets only */
                            dataset?: {
                                format?: string;
                                export?: string;
                                minVisibility?: number;
                                augmentSplits?: string;
                                includeOriginals?: boolean;
                                split?: string;
                                categories?: string[];
                                /** @description objects per category in the sources (before) and in the outputs so far (after) */
                                counts?: {
                                    before?: number[];
                                    after?: number[];
                                    dropped?: number;
                                };
                                /** @description items onLabelError=skip left out (listed in the manifest) */
                                skipped?: number;
                            };
                            /** @description the webhook, its status and every delivery attempt (the secret only in the creation answer) */
                            webhook?: {
                                url?: string;
                                secret?: string;
                                /** @enum {string} */
                                status?: "waiting" | "pending" | "delivered" | "failed";
                                attempts?: {
                                    attempt?: number;
                                    at?: string;
                                    ok?: boolean;
                                    status?: number;
                                    error?: string;
                                }[];
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A job's state, progress, sources and tags */
        get: {
            parameters: {
                query?: {
                    /** @description API key, for links */
                    token?: string;
                };
                header?: never;
                path: {
                    /** @description job id (j_ + 22 URL-safe characters) */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id?: string;
                            owner?: string;
                            /** @enum {string} */
                            status?: "created" | "queued" | "processing" | "completed" | "failed";
                            progress?: {
                                done?: number;
                                total?: number;
                            };
                            /** @description the first 100 sources; GET /api/jobs/:id/sources pages through all */
                            sources?: {
                                sourceId?: string;
                                name?: string;
                                label?: string;
                                status?: string;
                                width?: number;
                                height?: number;
                                bytes?: number;
                                format?: string;
                                attempts?: number;
                                failure?: string;
                                variants?: number;
                                /** @description the recorded variant indices, as a hex bitmap (bit i = variant i) */
                                written?: string;
                                /** @description the extension of the variant files */
                                ext?: string;
                                /** @description outputs the source makes (variants, and originals of datasets) */
                                outputs?: number;
                                split?: string;
                            }[];
                            /** @description the cursor of the next page of sources, if any */
                            sourcesCursor?: string;
                            sourceCount?: number;
                            /** @description over all sources: uploaded, started (events), settled, failed, variants */
                            counts?: {
                                uploaded?: number;
                                started?: number;
                                settled?: number;
                                failed?: number;
                                variants?: number;
                            };
                            tags?: string[];
                            variantsPerSource?: number;
                            pipeline?: {
                                preset?: string;
                                seed?: number;
                                custom?: boolean;
                            };
                            createdAt?: string;
                            updatedAt?: string;
                            expiresAt?: string;
                            version?: number;
                            failure?: string;
                            archive?: {
                                bytes?: number;
                                count?: number;
                            };
                            /** @description labelled datasets only */
                            dataset?: {
                                format?: string;
                                export?: string;
                                minVisibility?: number;
                                augmentSplits?: string;
                                includeOriginals?: boolean;
                                split?: string;
                                categories?: string[];
                                /** @description objects per category in the sources (before) and in the outputs so far (after) */
                                counts?: {
                                    before?: number[];
                                    after?: number[];
                                    dropped?: number;
                                };
                                /** @description items onLabelError=skip left out (listed in the manifest) */
                                skipped?: number;
                            };
                            /** @description the webhook, its status and every delivery attempt (the secret only in the creation answer) */
                            webhook?: {
                                url?: string;
                                secret?: string;
                                /** @enum {string} */
                                status?: "waiting" | "pending" | "delivered" | "failed";
                                attempts?: {
                                    attempt?: number;
                                    at?: string;
                                    ok?: boolean;
                                    status?: number;
                                    error?: string;
                                }[];
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete a job and all its data (sources, variants, thumbnails, zip, events) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id (j_ + 22 URL-safe characters) */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs/{id}/uploads": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Fresh signed PUT URLs for the sources not uploaded yet (resume an interrupted upload) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id (j_ + 22 URL-safe characters) */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id?: string;
                            /** @description source ids already stored */
                            uploaded?: string[];
                            uploads?: {
                                sourceId?: string;
                                name?: string;
                                label?: string;
                                method?: string;
                                url?: string;
                                /** @description never past the upload deadline */
                                expiresInSeconds?: number;
                                /** @description the declared size: the PUT must carry exactly these bytes */
                                bytes?: number;
                            }[];
                            /**
                             * Format: date-time
                             * @description sources not uploaded by then fail (UPLOAD_DEADLINE_SECONDS after creation); later PUTs get a 410
                             */
                            uploadDeadline?: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A job's events in seq order, by page
         * @description At most `limit` events with a seq greater than `after`. A full page carries a `Link: <...>; rel="next"` header (and `x-next-after`) naming the next page; the seq of the last event is the cursor.
         */
        get: {
            parameters: {
                query?: {
                    /** @description only events with a greater seq */
                    after?: number;
                    limit?: number;
                    /** @description API key, for links */
                    token?: string;
                };
                header?: never;
                path: {
                    /** @description job id (j_ + 22 URL-safe characters) */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            jobId?: string;
                            seq?: number;
                            at?: string;
                            type?: string;
                            data?: {
                                [key: string]: unknown;
                            };
                        }[];
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs/{id}/sources": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A job's sources, by page */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    /** @description API key, for links */
                    token?: string;
                };
                header?: never;
                path: {
                    /** @description job id (j_ + 22 URL-safe characters) */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items?: {
                                sourceId?: string;
                                name?: string;
                                label?: string;
                                status?: string;
                                width?: number;
                                height?: number;
                                bytes?: number;
                                format?: string;
                                attempts?: number;
                                failure?: string;
                                variants?: number;
                                /** @description the recorded variant indices, as a hex bitmap (bit i = variant i) */
                                written?: string;
                                /** @description the extension of the variant files */
                                ext?: string;
                                /** @description outputs the source makes (variants, and originals of datasets) */
                                outputs?: number;
                                split?: string;
                            }[];
                            cursor?: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs/{id}/archive": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The job's zip, streamed: variants in their label folders, manifest.json and manifest.csv */
        get: {
            parameters: {
                query?: {
                    /** @description API key, for links */
                    token?: string;
                };
                header?: never;
                path: {
                    /** @description job id (j_ + 22 URL-safe characters) */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description the zip */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/zip": string;
                    };
                };
                /** @description the job has no archive yet */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/zip": components["schemas"]["def-0"];
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/zip": components["schemas"]["def-0"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs/{id}/sources/{sourceId}/variants/{index}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One variant image, for preview */
        get: {
            parameters: {
                query?: {
                    /** @description API key, for links */
                    token?: string;
                };
                header?: never;
                path: {
                    /** @description job id (j_ + 22 URL-safe characters) */
                    id: string;
                    /** @description source id (s_ + 22 URL-safe characters) */
                    sourceId: string;
                    index: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description the variant image */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "image/jpeg": string;
                        "image/png": string;
                        "image/webp": string;
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "image/jpeg": components["schemas"]["def-0"];
                        "image/png": components["schemas"]["def-0"];
                        "image/webp": components["schemas"]["def-0"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs/{id}/sources/{sourceId}/thumbnail": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A small WebP preview of a source image (written when the source is first processed) */
        get: {
            parameters: {
                query?: {
                    /** @description API key, for links */
                    token?: string;
                };
                header?: never;
                path: {
                    /** @description job id (j_ + 22 URL-safe characters) */
                    id: string;
                    /** @description source id (s_ + 22 URL-safe characters) */
                    sourceId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description the thumbnail */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "image/webp": string;
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "image/webp": components["schemas"]["def-0"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs/{id}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Retry the failed and dead-lettered sources of a job (admin) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id (j_ + 22 URL-safe characters) */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id?: string;
                            retried?: string[];
                            queue?: string;
                            deadLetterQueue?: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/images/recent": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's most recent images with thumbnails, for the home grid */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    /** @description API key, for links */
                    token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items?: {
                                jobId?: string;
                                sourceId?: string;
                                name?: string;
                                label?: string;
                                /** @description the source: pending, uploaded, processing, completed, failed, dead-lettered */
                                status?: string;
                                width?: number;
                                height?: number;
                                /** @description variants written so far */
                                variants?: number;
                                /** @description a WebP preview, once the source has been processed */
                                thumbnailUrl?: string;
                                /** @description the first variant, once it is written */
                                previewUrl?: string;
                                createdAt?: string;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs/{id}/sources/{sourceId}/variants/{index}/labels": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One output's labels: json (boxes, polygons, masks, keypoints, and what was dropped), coco, yolo or voc */
        get: {
            parameters: {
                query?: {
                    /** @description default: the job's export format (json for folders) */
                    format?: "json" | "coco" | "yolo" | "voc";
                    /** @description API key, for links */
                    token?: string;
                };
                header?: never;
                path: {
                    /** @description job id (j_ + 22 URL-safe characters) */
                    id: string;
                    /** @description source id (s_ + 22 URL-safe characters) */
                    sourceId: string;
                    index: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                        "text/plain": components["schemas"]["def-0"];
                        "application/xml": components["schemas"]["def-0"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/queues": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Each queue with visible, in-flight, delayed, oldest age and its DLQ (admin) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            queues?: ({
                                name?: string;
                                visible?: number;
                                inFlight?: number;
                                delayed?: number;
                                oldestAgeSeconds?: number;
                                deadLetterQueue?: string;
                                deadLetterQueueDepth?: number;
                                maxReceiveCount?: number;
                                visibilityTimeoutSeconds?: number;
                            } & {
                                [key: string]: unknown;
                            })[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/queues/{name}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Peek messages (a DLQ shows each with its job, source, failure reason and receive count) (admin) */
        get: {
            parameters: {
                query?: {
                    max?: number;
                    /** @description API key, for links */
                    token?: string;
                };
                header?: never;
                path: {
                    /** @description uploads or uploads-dlq */
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            queue?: string;
                            messages?: ({
                                messageId?: string;
                                body?: string;
                                receiveCount?: number;
                                sentAt?: string;
                                /** @description source, s3:TestEvent, unknown object or unreadable */
                                kind?: string;
                                jobId?: string;
                                sourceId?: string;
                                sourceName?: string;
                                owner?: string;
                                failureReason?: string;
                                /** @description path of the source's thumbnail, when it still exists */
                                thumbnail?: string;
                            } & {
                                [key: string]: unknown;
                            })[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/queues/{name}/redrive": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Move dead-lettered messages (all, or the listed ids) back to their source queue (admin) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description uploads or uploads-dlq */
                    name: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        messageIds?: string[];
                    } | null;
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            queue?: string;
                            moved?: number;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/queues/{name}/redrive-task": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The DLQ's background redrive: state, moved, remaining (admin) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description uploads or uploads-dlq */
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            queue?: string;
                            /** @enum {string} */
                            state?: "idle" | "running" | "cancelled" | "completed" | "failed";
                            moved?: number;
                            remaining?: number;
                            error?: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        put?: never;
        /** Start (or resume) a background redrive of a DLQ in batches; cancellable (admin) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description uploads or uploads-dlq */
                    name: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description default 10 */
                        batchSize?: number;
                    } | null;
                };
            };
            responses: {
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            queue?: string;
                            /** @enum {string} */
                            state?: "idle" | "running" | "cancelled" | "completed" | "failed";
                            moved?: number;
                            remaining?: number;
                            error?: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        /** Cancel the background redrive after its current batch (admin) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description uploads or uploads-dlq */
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            queue?: string;
                            /** @enum {string} */
                            state?: "idle" | "running" | "cancelled" | "completed" | "failed";
                            moved?: number;
                            remaining?: number;
                            error?: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/queues/{name}/messages/{messageId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete one message of a queue by its id (admin; the DLQ console uses it) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description uploads or uploads-dlq */
                    name: string;
                    messageId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            queue?: string;
                            deleted?: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/queues/{name}/purge": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Delete every message of a queue (admin) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description uploads or uploads-dlq */
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            queue?: string;
                            purged?: boolean;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/overview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Queues now with their alert state, their last hour, and throughput (admin) */
        get: {
            parameters: {
                query?: {
                    /** @description API key, for links */
                    token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            queues?: ({
                                name?: string;
                                visible?: number;
                                inFlight?: number;
                                delayed?: number;
                                oldestAgeSeconds?: number;
                                deadLetterQueue?: string;
                                deadLetterQueueDepth?: number;
                                maxReceiveCount?: number;
                                visibilityTimeoutSeconds?: number;
                                alerts?: string[];
                            } & {
                                [key: string]: unknown;
                            })[];
                            history?: {
                                [key: string]: {
                                    at?: number;
                                    visible?: number;
                                    inFlight?: number;
                                    delayed?: number;
                                    oldestAgeSeconds?: number;
                                }[];
                            };
                            throughput?: {
                                bucketSeconds?: number;
                                buckets?: {
                                    [key: string]: number;
                                }[];
                            };
                            thresholds?: {
                                oldestAgeSeconds?: number;
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/owners": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Each owner's usage (jobs and variants today, bytes stored) against their quotas (admin) */
        get: {
            parameters: {
                query?: {
                    /** @description API key, for links */
                    token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            owners?: {
                                owner?: string;
                                usage?: {
                                    [key: string]: number;
                                };
                                limits?: {
                                    [key: string]: number;
                                };
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/presets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Named pipeline presets and the JSON Schema of a pipeline spec */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            default?: string;
                            presets?: {
                                [key: string]: unknown;
                            };
                            schema?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Preview up to 8 variants of one image (at most 1024 px); nothing is stored */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        jobId: string;
                        sourceId: string;
                        /** @description a named pipeline (GET /api/presets); default delta-classic */
                        preset?: string;
                        /** @description a pipeline spec (JSON) */
                        pipeline?: string | Record<string, never>;
                        /** @description integer 0 to 4294967295 */
                        seed?: number | string;
                        /** @description variants to render, 1 to 8; default 4 */
                        count?: number | string;
                        /** @description longest side of the previews, 16 to 1024 px; default 512 */
                        size?: number | string;
                    };
                    "multipart/form-data": {
                        /** Format: binary */
                        file?: string;
                        /** @description a named pipeline (GET /api/presets); default delta-classic */
                        preset?: string;
                        /** @description a pipeline spec (JSON) */
                        pipeline?: string | Record<string, never>;
                        /** @description integer 0 to 4294967295 */
                        seed?: number | string;
                        /** @description variants to render, 1 to 8; default 4 */
                        count?: number | string;
                        /** @description longest side of the previews, 16 to 1024 px; default 512 */
                        size?: number | string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            pipeline?: {
                                name?: string;
                                seed?: number;
                            };
                            source?: {
                                width?: number;
                                height?: number;
                                format?: string;
                            };
                            variants?: {
                                index?: number;
                                width?: number;
                                height?: number;
                                contentType?: string;
                                /** @description the variant as a data: URL (base64) */
                                image?: string;
                                operations?: {
                                    op?: string;
                                    params?: {
                                        [key: string]: unknown;
                                    };
                                }[];
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["def-0"];
                    };
                };
            };
        };
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
        /** Prometheus metrics */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Prometheus text format 0.0.4 */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/plain": string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
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
        /** error */
        "def-0": {
            error?: {
                code?: string;
                message?: string;
                field?: string;
            };
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
