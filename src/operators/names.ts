/** Generated layer names (`conv#3`) for layers the user did not name. Only names: no state hides here. */
let counter = 0;

export function layerName(kind: string, given: string | undefined): string {
  return given ?? `${kind}#${++counter}`;
}
