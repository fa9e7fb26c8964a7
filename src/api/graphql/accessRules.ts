import type { IResolvers } from '@graphql-tools/utils';
import { type GraphQLResolveInfo, type GraphQLSchema, getNamedType, isUnionType } from 'graphql';
import { type Access, graphqlAccess, requireAccess } from '../../auth/access.ts';
import { AppError } from '../../errors/AppError.ts';
import type { GraphqlContext } from './GraphqlContext.ts';
import { uploadErrorOf } from './uploadError.ts';

type RootType = keyof typeof graphqlAccess;
const ROOT_TYPES: RootType[] = ['Query', 'Mutation', 'Subscription'];
type Resolver = (parent: unknown, args: unknown, context: GraphqlContext, info: GraphQLResolveInfo) => unknown;

/**
 * Wraps every root resolver in its access rule (src/auth/access.ts). A refused mutation whose result is a union
 * with `UploadError` answers in that union (`UploadError { code: "FORBIDDEN" }`); others raise the error.
 */
export function withAccessRules(resolvers: IResolvers<unknown, GraphqlContext>): IResolvers<unknown, GraphqlContext> {
  const wrapped: IResolvers<unknown, GraphqlContext> = { ...resolvers };
  for (const type of ROOT_TYPES) {
    const fields = resolvers[type] as Record<string, Resolver | { subscribe: Resolver }> | undefined;
    if (!fields) continue;
    const rules = graphqlAccess[type] as Record<string, Access>;
    wrapped[type] = Object.fromEntries(
      Object.entries(fields).map(([name, resolver]) => {
        const access = rules[name];
        if (access === undefined) throw new Error(`${type}.${name} has no access rule in src/auth/access.ts`);
        if (typeof resolver === 'function') return [name, guarded(resolver, access)];
        return [name, { ...resolver, subscribe: guarded(resolver.subscribe, access) }];
      }),
    );
  }
  return wrapped;
}

function guarded(resolver: Resolver, access: Access): Resolver {
  return (parent, args, context, info) => {
    try {
      requireAccess(context.principal, access);
    } catch (error) {
      const returned = getNamedType(info.returnType);
      if (
        error instanceof AppError &&
        isUnionType(returned) &&
        returned.getTypes().some((member) => member.name === 'UploadError')
      ) {
        return uploadErrorOf(error, { error: () => {}, warn: () => {} });
      }
      throw error;
    }
    return resolver(parent, args, context, info);
  };
}

/** Throws unless every root field of the schema has exactly one access rule, and every rule names a field. */
export function assertAccessRulesCoverSchema(schema: GraphQLSchema): void {
  const types = {
    Query: schema.getQueryType(),
    Mutation: schema.getMutationType(),
    Subscription: schema.getSubscriptionType(),
  };
  for (const type of ROOT_TYPES) {
    const fields = Object.keys(types[type]?.getFields() ?? {});
    const rules = Object.keys(graphqlAccess[type]);
    const missing = fields.filter((field) => !rules.includes(field));
    const stale = rules.filter((rule) => !fields.includes(rule));
    if (missing.length > 0) throw new Error(`no access rule for ${missing.map((f) => `${type}.${f}`).join(', ')}`);
    if (stale.length > 0) throw new Error(`access rules for fields that do not exist: ${stale.join(', ')}`);
  }
}
