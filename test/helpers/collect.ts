import { lastValueFrom, toArray, type Observable } from 'rxjs';

export const collect = <T>(source: Observable<T>): Promise<T[]> => lastValueFrom(source.pipe(toArray()));
