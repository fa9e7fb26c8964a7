import type { Principal } from '../../auth/Principal.ts';

/** What every resolver is given: the authenticated caller (HTTP and WebSocket alike). */
export interface GraphqlContext {
  principal: Principal;
}
