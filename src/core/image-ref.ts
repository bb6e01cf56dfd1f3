/**
 * Container image references: `[registry/]repository[:tag][@sha256:digest]`. The repository is the path after
 * the registry host (a first part with a "." or ":", or "localhost"), as in ECR's
 * `<account>.dkr.ecr.<region>.amazonaws.com/<repository>`. Undefined for what is not an image reference.
 */
export interface ImageRef {
  registry?: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export function parseImageRef(image: string): ImageRef | undefined {
  let rest = image.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^\w[\w.-]{0,127}$/.test(tag)) return undefined;
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : undefined;
  // "team/app" has no registry: a first part without "." or ":" (and not localhost) belongs to the repository.
  const registry = first !== undefined && (/[.:]/.test(first) || first === 'localhost') ? first : undefined;
  const repository = registry !== undefined ? rest.slice(slash + 1) : rest;
  if (!/^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/.test(repository)) return undefined;
  return {
    repository,
    ...(registry !== undefined ? { registry } : {}),
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** Whether `image` is an image of `repository` (any registry, tag or digest). */
export function isImageOfRepository(image: string, repository: string): boolean {
  return parseImageRef(image)?.repository === repository;
}
