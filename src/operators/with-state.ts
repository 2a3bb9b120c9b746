/**
 * The one pattern behind every stateful rx-rrm operator, modelled on RxJS's own `pairwise`: the
 * state is created when a subscriber subscribes, so two subscriptions (or two `groupBy` groups)
 * never share it, and it is released when that subscription ends, however it ends.
 */
import { Observable, type OperatorFunction } from 'rxjs';

export function mapWithState<S, I, O>(
  createState: () => S,
  step: (state: S, value: I) => O,
  disposeState?: (state: S) => void,
): OperatorFunction<I, O> {
  return (source) =>
    new Observable<O>((subscriber) => {
      const state = createState();
      const subscription = source.subscribe({
        next: (value) => {
          let result: O;
          try {
            result = step(state, value);
          } catch (error) {
            subscriber.error(error);
            return;
          }
          subscriber.next(result);
        },
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        subscription.unsubscribe();
        disposeState?.(state);
      };
    });
}
