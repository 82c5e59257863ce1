import { WireStorableText } from '@pager/protocol';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class ReputationReportDto {
  @IsString({ message: 'must be a string' })
  @MaxLength(253, { message: 'must be a lowercase DNS name' })
  server_id: string;

  @IsString({ message: 'must be a string' })
  @Matches(/^[a-z0-9_.-]{1,64}$/, { message: 'must be 1 to 64 characters of a-z, 0-9, _ . -' })
  reason: string;

  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(1000, { message: 'must be at most 1000 characters' })
  @WireStorableText()
  details?: string;
}
