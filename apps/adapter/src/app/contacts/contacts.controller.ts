import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ContactsService } from './contacts.service';

@Controller('api/v1/users/:userId/contacts')
export class ContactsController {
  constructor(@Inject(ContactsService) private readonly contacts: ContactsService) {}

  @Post()
  create(@Param('userId') userId: string, @Body() body: unknown) {
    return this.contacts.create(userId, body);
  }

  @Get()
  list(@Param('userId') userId: string) {
    return this.contacts.list(userId);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('userId') userId: string, @Param('id') id: string) {
    return this.contacts.remove(userId, id);
  }
}
