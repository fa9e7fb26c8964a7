import {
  type DocumentNode,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
} from 'graphql';
import { type ComplexityEstimator, getComplexity } from 'graphql-query-complexity';

/** Fields whose `first` argument multiplies the cost of what they return (pages). */
const PAGED_FIELDS = new Set(['Query.ingestionTasks', 'Query.auditEvents', 'IngestionTaskStatus.rejections']);

/** Lists without `first`: their largest plausible length. The items of a page (nodes, edges) are counted by the page. */
const LIST_SIZES: Record<string, number> = {
  'IngestionTaskConnection.nodes': 1,
  'IngestionTaskConnection.edges': 1,
  'AuditEventConnection.nodes': 1,
  'IngestionTaskStatus.statusHistory': 7,
  'IngestionTaskStatus.rejectionCounts': 10,
  'DataSourceSchema.metrics': 500,
  'DataSourceSummary.metricTotals': 500,
  'Query.dataSourceTimeSeries': 1000,
  'Query.apiKeys': 100,
  'UploadPreview.rejections': 100,
  'UploadPreview.timestampCandidates': 500,
};

/** Scalars that are expensive to return: a rejected row's raw text is up to 4,096 characters. */
const SCALAR_WEIGHTS: Record<string, number> = { 'RowRejection.raw': 8 };

const MAX_PAGE = 1000;

/**
 * Every object in the response costs 1 (a heavy scalar more), and a list multiplies the cost of its items by its
 * length (`first` for pages, a fixed bound otherwise). Since each rejected row costs at least 1, no response can
 * hold more rejected rows than the cost limit.
 */
const estimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  const name = `${type.name}.${field.name}`;
  const own = isCompositeType(getNamedType(field.type)) ? 1 : (SCALAR_WEIGHTS[name] ?? 0);
  if (PAGED_FIELDS.has(name)) {
    const first = typeof args.first === 'number' ? Math.min(Math.max(1, args.first), MAX_PAGE) : MAX_PAGE;
    return first * (own + childComplexity);
  }
  if (isListType(getNullableType(field.type))) return (LIST_SIZES[name] ?? 10) * (own + childComplexity);
  return own + childComplexity;
};

/** The cost of one operation of a validated document, with its variables. */
export function queryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown>,
  operationName: string | undefined,
): number {
  return getComplexity({
    schema,
    query: document,
    variables,
    ...(operationName ? { operationName } : {}),
    estimators: [estimator],
  });
}
