import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ListProfilesQuery } from './list-profiles.query';
import { ProfilePage, ProfilesService } from './profiles.service';
import { UserProfile } from './user-profile.entity';

@Controller('profiles')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Get()
  list(@Query() query: ListProfilesQuery): Promise<ProfilePage> {
    return this.profiles.list(query.offset, query.limit);
  }

  @Get(':userId')
  findOne(@Param('userId', ParseUUIDPipe) userId: string): Promise<UserProfile> {
    return this.profiles.findOne(userId);
  }
}
