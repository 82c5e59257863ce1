import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import { UsersService } from './users.service';

@Controller('api/v1/users')
export class UsersController {
  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  @Post()
  register(@Body() body: unknown) {
    return this.users.register(body);
  }

  @Get(':username')
  get(@Param('username') username: string) {
    return this.users.getByUsername(username);
  }

  @Put(':userId/policy')
  setPolicy(@Param('userId') userId: string, @Body() body: unknown) {
    return this.users.setPolicy(userId, body);
  }

  @Post(':userId/blocks')
  block(@Param('userId') userId: string, @Body() body: unknown) {
    return this.users.block(userId, body);
  }

  @Delete(':userId/blocks/:address')
  @HttpCode(204)
  unblock(@Param('userId') userId: string, @Param('address') address: string) {
    return this.users.unblock(userId, address);
  }
}
