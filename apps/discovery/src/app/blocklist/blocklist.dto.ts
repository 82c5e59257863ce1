import { IsString, Length } from 'class-validator';

export class BlockRequestDto {
  @IsString({ message: 'must be a string' })
  @Length(1, 1000, { message: 'must be 1 to 1000 characters' })
  reason: string;
}
