import { WireStorableText } from '@pager/protocol';
import { IsString, Length } from 'class-validator';

/** `PUT /api/v1/blocklist/{server_id}` body: the operator's reason, stored as text. */
export class BlockRequestDto {
  @IsString({ message: 'must be a string' })
  @Length(1, 1000, { message: 'must be 1 to 1000 characters' })
  @WireStorableText()
  reason: string;
}
