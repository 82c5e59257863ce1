import { seg } from './http-json-client';
import { ServiceApiClient } from './service-api.client';
import type {
  BoxAnswer,
  BoxQuery,
  ContactAnswer,
  ContactRequest,
  Destination,
  DestinationState,
  DestinationsAnswer,
  MessageStateAnswer,
  SendMessageAnswer,
  SendMessageRequest,
  UserAnswer,
} from './types';

/** Typed calls of the federation adapter's internal API (SERVICES.md, Federation adapter). */
export class AdapterApiClient extends ServiceApiClient {
  /** `POST /api/v1/users`: `409 username_taken` / `user_already_registered` throw. */
  registerUser(userId: string, username: string): Promise<UserAnswer> {
    return this.http.request('POST', '/api/v1/users', {
      body: { user_id: userId, username },
    });
  }

  user(username: string): Promise<UserAnswer> {
    return this.http.request('GET', `/api/v1/users/${seg(username)}`);
  }

  addContact(userId: string, contact: ContactRequest): Promise<ContactAnswer> {
    return this.http.request('POST', `/api/v1/users/${seg(userId)}/contacts`, { body: contact });
  }

  contacts(userId: string): Promise<{ contacts: ContactAnswer[] }> {
    return this.http.request('GET', `/api/v1/users/${seg(userId)}/contacts`);
  }

  /** `POST /api/v1/messages`: `201` delivered locally or `202` queued for federation. */
  send(message: SendMessageRequest): Promise<SendMessageAnswer> {
    return this.http.request('POST', '/api/v1/messages', { body: message });
  }

  /** `GET /api/v1/messages/{message_id}`: delivery state with its attempts. */
  message(messageId: string): Promise<MessageStateAnswer> {
    return this.http.request('GET', `/api/v1/messages/${seg(messageId)}`);
  }

  /** `GET /api/v1/users/{user_id}/messages?box=…`, newest first. */
  box(userId: string, query: BoxQuery): Promise<BoxAnswer> {
    return this.http.request('GET', `/api/v1/users/${seg(userId)}/messages`, {
      query: { box: query.box, limit: query.limit, before: query.before },
    });
  }

  /** `GET /api/v1/destinations[?state=]`. */
  destinations(state?: DestinationState): Promise<DestinationsAnswer> {
    return this.http.request('GET', '/api/v1/destinations', { query: { state } });
  }

  /** `GET /api/v1/destinations/{server_id}`; `404 not_found` throws. */
  destination(serverId: string): Promise<Destination> {
    return this.http.request('GET', `/api/v1/destinations/${seg(serverId)}`);
  }

  /** `POST /api/v1/destinations/{server_id}/retry` (`202`): probe now, backoff reset. */
  async retry(serverId: string): Promise<void> {
    await this.http.request('POST', `/api/v1/destinations/${seg(serverId)}/retry`);
  }

  /** `PUT …/delivery` `{ state: "stopped", reason }`: pages end `failed` (`delivery_stopped`). */
  stop(serverId: string, reason: string): Promise<Destination> {
    return this.http.request('PUT', `/api/v1/destinations/${seg(serverId)}/delivery`, {
      body: { state: 'stopped', reason },
    });
  }

  /** `PUT …/delivery` `{ state: "active" }`. */
  resume(serverId: string): Promise<Destination> {
    return this.http.request('PUT', `/api/v1/destinations/${seg(serverId)}/delivery`, {
      body: { state: 'active' },
    });
  }
}
