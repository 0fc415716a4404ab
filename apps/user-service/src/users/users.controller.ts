import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { CreateUserDto } from './create-user.dto';
import { UserDetails, UsersService, UserView } from './users.service';

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  register(@Body() dto: CreateUserDto): Promise<UserView> {
    return this.users.register(dto);
  }

  @Get(':id')
  findOne(@Param('id', ParseUUIDPipe) id: string): Promise<UserDetails> {
    return this.users.findById(id);
  }
}
