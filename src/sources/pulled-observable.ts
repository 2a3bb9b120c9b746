import { Observable } from 'rxjs';

/**
 * Turns an async frame producer into a cold Observable that pulls: the producer is started on
 * subscribe, and its next item is requested only after `subscriber.next` returned for the
 * previous one. Unsubscribing (directly, through `take`, or after an error) aborts `signal`
 * synchronously; producers close their process, file or reader on that signal, so teardown never
 * waits for a pending read. (rxjs's own `from(asyncIterable)` only stops at the next item, which
 * for an idle stream may never come.)
 */
export function pulledObservable<T>(produce: (signal: AbortSignal) => AsyncIterable<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const controller = new AbortController();
    const { signal } = controller;
    (async () => {
      for await (const item of produce(signal)) {
        if (signal.aborted) return;
        subscriber.next(item);
        if (subscriber.closed) return;
      }
      if (!signal.aborted) subscriber.complete();
    })().catch((error: unknown) => {
      if (!signal.aborted) subscriber.error(error);
    });
    return () => controller.abort();
  });
}
