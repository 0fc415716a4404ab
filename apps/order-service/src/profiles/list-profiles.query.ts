import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** Deeper pages than this are a scan, not a page; well inside every integer type on the way. */
export const MAX_OFFSET = 1_000_000_000;
export const MAX_LIMIT = 100;

/**
 * Only plain decimal digits become numbers: `1e20`, `0x10`, ` 5`, `1.5` or a repeated parameter
 * stay as they are and fail `@IsInt`, instead of `Number()` turning them into something else.
 */
const toInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value;

export class ListProfilesQuery {
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(MAX_OFFSET)
  offset: number = 0;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit: number = 20;
}
