/** A content type's media type: parameters (`; charset=utf-8`) cut, lower-cased (RFC 2045). */
export function mediaTypeOf(contentType: string): string {
  const semicolon = contentType.indexOf(';');
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * Whether a content type declares JSON data, as the JSON event format defines it: a media type
 * whose subtype is `json` or ends in `+json`.
 */
export function isJsonContentType(contentType: string): boolean {
  const mediaType = mediaTypeOf(contentType);
  const slash = mediaType.indexOf('/');
  if (slash <= 0) return false;
  const subtype = mediaType.slice(slash + 1);
  return subtype === 'json' || subtype.endsWith('+json');
}
