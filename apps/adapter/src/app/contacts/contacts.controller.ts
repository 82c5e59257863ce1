import { ApiTags } from '@nestjs/swagger';
import { ApiRoute } from '@pager/server-kit';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ContactsService } from './contacts.service';

@ApiTags('internal')
@Controller('api/v1/users/:userId/contacts')
export class ContactsController {
  constructor(@Inject(ContactsService) private readonly contacts: ContactsService) {}

  @ApiRoute({
    summary: 'Adds a contact.',
    access: 'internal',
    body: '`{ "name", "email"?, "phone"?, "pager_address" }`',
    responses: { 201: 'the contact with its `id`' },
    errors: ['validation_failed', 'not_found', 'invalid_address'],
  })
  @Post()
  create(@Param('userId') userId: string, @Body() body: unknown) {
    return this.contacts.create(userId, body);
  }

  @ApiRoute({
    summary: "The user's contacts.",
    access: 'internal',
    responses: { 200: '`{ "contacts": [ { "id", "name", "email", "phone", "pager_address" } ] }`' },
    errors: ['not_found'],
  })
  @Get()
  list(@Param('userId') userId: string) {
    return this.contacts.list(userId);
  }

  @ApiRoute({
    summary: 'Deletes a contact.',
    access: 'internal',
    responses: { 204: 'deleted' },
    errors: ['not_found'],
  })
  @Delete(':id')
  @HttpCode(204)
  remove(@Param('userId') userId: string, @Param('id') id: string) {
    return this.contacts.remove(userId, id);
  }
}
