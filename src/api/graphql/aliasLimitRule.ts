import { type ASTVisitor, GraphQLError, type ValidationContext } from 'graphql';

/** Refuses documents with more than `maxAliases` aliased fields (each alias repeats a field's whole cost). */
export function aliasLimitRule(maxAliases: number) {
  return (context: ValidationContext): ASTVisitor => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias && ++aliases === maxAliases + 1) {
          context.reportError(
            new GraphQLError(`The query has more than ${maxAliases} aliases.`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_COMPLEX' },
            }),
          );
        }
      },
    };
  };
}
