import { ApiTags } from '@nestjs/swagger';
import { ApiRoute } from '@pager/server-kit';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import { UsersService } from './users.service';

@ApiTags('internal')
@Controller('api/v1/users')
export class UsersController {
  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  @ApiRoute({
    summary: 'Registers a pager username for a user of the pager tool.',
    access: 'internal',
    body: '`{ "user_id" (1 to 64 of A-Za-z0-9_.:-), "username" }`',
    responses: { 201: '`{ "user_id", "username", "address" }`' },
    errors: ['validation_failed', 'invalid_username', 'username_taken', 'user_already_registered'],
  })
  @Post()
  register(@Body() body: unknown) {
    return this.users.register(body);
  }

  @ApiRoute({
    summary: 'Looks a username up.',
    access: 'internal',
    responses: { 200: '`{ "user_id", "username", "address" }`' },
    errors: ['not_found'],
  })
  @Get(':username')
  get(@Param('username') username: string) {
    return this.users.getByUsername(username);
  }

  @ApiRoute({
    summary: 'Who may page this user: anyone, or only the contacts.',
    access: 'internal',
    body: '`{ "accept": "anyone" | "contacts" }`',
    responses: { 200: '`{ "user_id", "accept" }`' },
    errors: ['validation_failed', 'not_found'],
  })
  @Put(':userId/policy')
  setPolicy(@Param('userId') userId: string, @Body() body: unknown) {
    return this.users.setPolicy(userId, body);
  }

  @ApiRoute({
    summary: 'Blocks a sender address for this user.',
    access: 'internal',
    body: '`{ "address" }` (`user` or `user@server`)',
    responses: { 201: '`{ "user_id", "address" }`' },
    errors: ['validation_failed', 'not_found', 'invalid_address'],
  })
  @Post(':userId/blocks')
  block(@Param('userId') userId: string, @Body() body: unknown) {
    return this.users.block(userId, body);
  }

  @ApiRoute({
    summary: 'Unblocks a sender address (idempotent).',
    access: 'internal',
    responses: { 204: 'unblocked' },
    errors: ['not_found', 'invalid_address'],
  })
  @Delete(':userId/blocks/:address')
  @HttpCode(204)
  unblock(@Param('userId') userId: string, @Param('address') address: string) {
    return this.users.unblock(userId, address);
  }
}
