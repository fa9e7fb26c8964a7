/** The GraphQL contract. Names here are public: clients and acceptance checks depend on them. */
export const typeDefs = /* GraphQL */ `
  scalar Upload
  scalar DateTime

  enum IngestionStatus { PENDING UPLOADED VALIDATING INGESTING SUCCEEDED FAILED CANCELLED }
  enum IngestMode { APPEND REPLACE }
  "Numeric dates that read either way: month first (3/4/2025 is March 4) or day first (3 April)."
  enum DateOrder { MDY DMY }
  type ReadingOptions { timestampColumn: String dateOrder: DateOrder timeZone: String decimalSeparator: String }

  "A column that may hold each row's time: the format detected in the sampled values, and how many of them it reads."
  type TimestampCandidate {
    column: String!
    "e.g. ISO 8601, M/D/YYYY, D.M.YYYY, Mon D YYYY, Unix seconds; null when ambiguous or unreadable."
    format: String
    "Every sampled value reads month-first and day-first alike: choose dateOrder."
    ambiguous: Boolean!
    nonEmpty: Int!
    parsed: Int!
    parseRate: Float!
    "Sampled values the format does not read (when ambiguous: values that read either way)."
    counterExamples: [String!]!
  }
  type PreviewProblem { code: String! message: String! }
  "What Tributary would make of a file (its first 10 MB), before anything is stored."
  type UploadPreview {
    format: String!
    encoding: String!
    delimiter: String
    gzip: Boolean!
    header: [String!]!
    timestampCandidates: [TimestampCandidate!]!
    timestampColumn: String
    timestampFormat: String
    timeZone: String!
    decimalSeparator: String
    "The data source's stored schema, or the one this file would create."
    schema: DataSourceSchema
    schemaIsStored: Boolean!
    fitsStoredSchema: Boolean
    missingColumns: [String!]!
    extraColumns: [String!]!
    "The stored columns (__time first) and the first 20 rows as they would be stored."
    columns: [String!]!
    rows: [[String]!]!
    rowsRead: Int!
    rowsValid: Int!
    rowsRejected: Int!
    rejections: [RowRejection!]!
    "What would make the upload fail (e.g. AMBIGUOUS_DATE_FORMAT), as the task would."
    problem: PreviewProblem
    bytesRead: Float!
    complete: Boolean!
  }
  union PreviewUploadResult = UploadPreview | UploadError

  type UploadError {
    code: String!
    message: String!
    details: String
    "For server errors: quote it to an operator, who finds the underlying error in the log under this id."
    errorId: String
  }

  union UploadSalesDataResult = IngestionTaskStatus | UploadError

  type StatusTime { status: IngestionStatus! at: DateTime! }

  type IngestionTaskStatus {
    taskId: ID!
    dataSourceName: String!
    filename: String!
    fileSizeBytes: Float!
    sha256: String
    status: IngestionStatus!
    rowsTotal: Int
    rowsValid: Int
    rowsRejected: Int
    rejections(first: Int = 100, afterLine: Int = 0): [RowRejection!]!
    "Rejected rows per code for the whole file; only the first MAX_STORED_REJECTIONS are kept in full."
    rejectionCounts: [RejectionCount!]!
    errorCode: String
    errorMessage: String
    "For server errors: quote it to an operator, who finds the underlying error in the log under this id."
    errorId: String
    createdAt: DateTime!
    updatedAt: DateTime!
    "Rows the analytics store holds for this task, read back after loading."
    rowsLoaded: Int
    "Bytes of the stored file read so far while validating."
    bytesProcessed: Float!
    format: String
    "The file's text encoding as detected at upload (utf-8, utf-16le, utf-16be, windows-1252); read as UTF-8."
    encoding: String
    "The field delimiter detected at upload (, ; | or a tab); null for JSON lines."
    delimiter: String
    "What the upload said about reading its file."
    readingOptions: ReadingOptions!
    mode: IngestMode!
    attempt: Int!
    "When the task entered each status it has been in, oldest first."
    statusHistory: [StatusTime!]!
    minTime: DateTime
    maxTime: DateTime
    "The analytics store's own job for this task (a Druid task id) and its last known state."
    storeTaskId: String
    storeState: String
    "For REPLACE uploads: the interval whose earlier rows were replaced."
    replacedInterval: TimeInterval
  }

  type TimeInterval { start: DateTime! end: DateTime! }

  type RowRejection { line: Int! column: String code: String! message: String! raw: String }
  type RejectionCount { code: String! count: Int! }

  type PageInfo { hasNextPage: Boolean! endCursor: String }
  type IngestionTaskEdge { cursor: String! node: IngestionTaskStatus! }
  type IngestionTaskConnection { edges: [IngestionTaskEdge!]! nodes: [IngestionTaskStatus!]! pageInfo: PageInfo! }

  type MetricTotal { name: String! sum: Float! }
  type DataSourceSummary { rowCount: Float! minTime: DateTime maxTime: DateTime metricTotals: [MetricTotal!]! }

  type MetricColumn { name: String! type: String! }
  "dateOrder and timeZone: the data source's settings, used when an upload does not say them."
  type DataSourceSchema {
    timestampColumn: String!
    dimensions: [String!]!
    metrics: [MetricColumn!]!
    dateOrder: DateOrder
    timeZone: String
  }

  "The daily (UTC) sum of one metric."
  type TimeSeriesPoint { day: DateTime! value: Float! }

  type UploadLimits { maxUploadBytes: Float! maxRejectedRatio: Float! }

  enum Role { VIEWER UPLOADER ADMIN }
  type Principal { workspace: String! role: Role! serverAdmin: Boolean! keyId: ID subject: String }
  type ApiKey {
    id: ID!
    name: String!
    role: Role!
    workspace: String!
    createdAt: DateTime!
    lastUsedAt: DateTime
    revokedAt: DateTime
  }
  "A new key: the secret is shown this once and never again."
  type CreatedApiKey { apiKey: ApiKey! secret: String! }
  type Workspace { name: String! createdAt: DateTime! }
  type CreatedWorkspace { workspace: Workspace! adminKey: CreatedApiKey! }
  type AuditEvent { id: ID! at: DateTime! actor: String! action: String! target: String details: String }
  type AuditEventConnection { nodes: [AuditEvent!]! pageInfo: PageInfo! }

  type Query {
    "Who the caller is: its workspace and role."
    me: Principal!
    "The workspace's API keys (ADMIN)."
    apiKeys: [ApiKey!]!
    "The workspace's audit log, newest first (ADMIN)."
    auditEvents(first: Int = 50, after: String): AuditEventConnection!
    ingestionTask(taskId: ID!): IngestionTaskStatus
    ingestionTasks(first: Int = 20, after: String, status: IngestionStatus, dataSourceName: String): IngestionTaskConnection!
    dataSourceSummary(dataSourceName: String!): DataSourceSummary
    dataSourceSchema(dataSourceName: String!): DataSourceSchema
    dataSourceTimeSeries(dataSourceName: String!, metric: String!): [TimeSeriesPoint!]!
    uploadLimits: UploadLimits!
  }

  type Mutation {
    """
    allowDuplicate: load the file even if a SUCCEEDED task of the data source loaded the same bytes (else DUPLICATE_FILE).
    timestampColumn: the column holding each row's time (else chosen by name and values); dateOrder: for numeric dates
    that read either way (else AMBIGUOUS_DATE_FORMAT); timeZone: IANA zone for times without an offset (default the
    data source's, else UTC); decimalSeparator: "." or "," (else detected). The first SUCCEEDED upload stores the
    timestamp column, dateOrder and timeZone with the data source.
    """
    uploadSalesData(
      file: Upload!
      dataSourceName: String!
      mode: IngestMode = APPEND
      allowDuplicate: Boolean = false
      timestampColumn: String
      dateOrder: DateOrder
      timeZone: String
      decimalSeparator: String
    ): UploadSalesDataResult!
    "Reads the first 10 MB of a file and says what an upload of it would do; stores nothing (UPLOADER)."
    previewUpload(
      file: Upload!
      dataSourceName: String!
      timestampColumn: String
      dateOrder: DateOrder
      timeZone: String
      decimalSeparator: String
    ): PreviewUploadResult!
    cancelIngestionTask(taskId: ID!): IngestionTaskStatus
    "A new workspace and its first ADMIN key (server admins only)."
    createWorkspace(name: String!): CreatedWorkspace!
    "A new key of the caller's workspace (ADMIN)."
    createApiKey(name: String!, role: Role!): CreatedApiKey!
    "Revokes a key of the caller's workspace; its sessions end with it (ADMIN)."
    revokeApiKey(id: ID!): ApiKey!
    "Deletes a data source: its rows leave the analytics store, its schema is forgotten, its tasks stay (ADMIN)."
    deleteDataSource(name: String!): Boolean!
  }

  type Subscription { ingestionTaskUpdated(taskId: ID!): IngestionTaskStatus! }
`;
